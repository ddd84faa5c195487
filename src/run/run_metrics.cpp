#include "gantrain/run/run_metrics.h"

#include <algorithm>

namespace gantrain {
namespace {

std::vector<std::string> eval_names(TrainingRun& run) {
  if (!run.evaluator()) return {};
  return run.evaluator()->names();
}

}  // namespace

RunMetrics::RunMetrics(TrainingRun& run)
    : run_(run),
      schema_(run.config().train.loss, run.task().metric_names(), eval_names(run)) {}

MetricsRow RunMetrics::row(const LogPoint& p, double steps_per_second) {
  const Config& config = run_.config();
  MetricsRow row;
  row.step = p.step;
  row.values = {{column::kEpoch, static_cast<double>(p.epoch)},
                {column::kDLoss, p.d_loss},
                {column::kGLoss, p.g_loss},
                {schema_.real_score(), p.d_real},
                {schema_.fake_score(), p.d_fake},
                {column::kStepsPerS, steps_per_second},
                {column::kImagesPerS,
                 steps_per_second * static_cast<double>(config.train.batch_size *
                                                        config.train.d_steps)}};
  Evaluator* evaluator = run_.evaluator();
  const bool evaluate =
      evaluator && (p.step % config.eval.every == 0 || p.step == p.total_steps);
  const bool task_metrics = !run_.task().metric_names().empty();
  torch::Tensor samples;
  if (task_metrics || evaluate) samples = run_.generate(run_.eval_latents());
  if (task_metrics)
    for (const auto& m : run_.task().metrics(samples)) {
      row.values[m.name] = m.value;
      row.shown.push_back(m.shown);
    }
  if (evaluate)
    for (const auto& m : evaluator->evaluate({samples, run_.eval_latents().labels})) {
      row.values[m.name] = m.value;
      if (!m.shown.empty()) row.eval_shown.push_back(m.shown);
    }
  // A glimpse of the fixed-noise samples (even-bits: the first decoded integers).
  const Latents& grid = run_.grid_latents();
  const Latents first = grid.narrow(0, std::min<int64_t>(8, grid.size()));
  const std::string text = run_.task().samples_as_text(run_.generate(first));
  if (!text.empty()) row.sample_text = text.substr(0, text.size() - 1) + ", ...]";
  return row;
}

std::string RunMetrics::summary() {
  if (run_.task().metric_names().empty()) return "";
  std::string shown;
  for (const auto& m : run_.task().metrics(run_.generate(run_.eval_latents())))
    if (!m.shown.empty()) shown += (shown.empty() ? "" : ", ") + m.shown;
  return "over " + std::to_string(run_.config().eval.samples) + " samples: " + shown;
}

}  // namespace gantrain
