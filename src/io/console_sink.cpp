#include "gantrain/io/console_sink.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "gantrain/metrics/metrics_schema.h"

namespace gantrain {

std::string format_duration(double seconds) {
  char text[32];
  auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%llds", s);
  return text;
}

void ConsoleSink::write(const MetricsRow& row) {
  auto value = [&](const std::string& name) {
    auto it = row.values.find(name);
    return it == row.values.end() ? 0.0 : it->second;
  };
  const int width = static_cast<int>(std::to_string(total_steps_).size());
  std::string line = fmt::format("step {:>{}}/{}", row.step, width, total_steps_);
  const double steps_per_s = value(column::kStepsPerS);
  if (epochs_)
    line = fmt::format("epoch {:>3}  {}  {:>6.0f} img/s", static_cast<int64_t>(value(column::kEpoch)),
                       line, value(column::kImagesPerS));
  else
    line += fmt::format("  {:>6.0f} steps/s", steps_per_s);
  line += fmt::format(
      "  ETA {:>6}  d_loss {:.3f}  g_loss {:.3f}",
      format_duration(static_cast<double>(total_steps_ - row.step) / std::max(steps_per_s, 1e-9)),
      value(column::kDLoss), value(column::kGLoss));
  // D's outputs: probabilities under bce, raw scores under hinge and lsgan (named apart).
  if (row.values.count(column::kDRealScore))
    line += fmt::format("  score(x) {:.2f}  score(G(z)) {:.2f}", value(column::kDRealScore),
                        value(column::kDFakeScore));
  else
    line += fmt::format("  D(x) {:.2f}  D(G(z)) {:.2f}", value(column::kDReal),
                        value(column::kDFake));
  for (const auto& shown : row.shown)
    if (!shown.empty()) line += "  " + shown;
  if (!row.sample_text.empty()) line += "  sample " + row.sample_text;
  spdlog::info(line);
  if (!row.eval_shown.empty()) {
    std::string shown;
    for (const auto& s : row.eval_shown) shown += "  " + s;
    spdlog::info("eval at step {}:{}", row.step, shown);
  }
}

}  // namespace gantrain
