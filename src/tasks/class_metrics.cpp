// The "classes" metric group, shared by the labelled tasks' evaluators.
#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "gantrain/error.h"
#include "tasks/tasks.h"

namespace gantrain::detail {

std::vector<std::string> class_metric_names(int64_t classes) {
  std::vector<std::string> names = {"class_fidelity", "intra_fid"};
  for (int64_t k = 0; k < classes; ++k) names.push_back("class_fidelity_" + std::to_string(k));
  for (int64_t k = 0; k < classes; ++k) names.push_back("intra_fid_" + std::to_string(k));
  return names;
}

std::vector<Metric> class_metrics(const ClassScores& s) {
  // The progress line shows the means; the per-class values go to metrics.csv, eval.json and the
  // report's table.
  std::vector<Metric> out = {
      {"class_fidelity", s.mean_fidelity, fmt::format("class fidelity {:.1f}%", 100 * s.mean_fidelity)},
      {"intra_fid", s.mean_fid, fmt::format("intra-FID {:.2f}", s.mean_fid)}};
  for (size_t k = 0; k < s.fidelity.size(); ++k)
    out.push_back({"class_fidelity_" + std::to_string(k), s.fidelity[k], ""});
  for (size_t k = 0; k < s.fid.size(); ++k)
    out.push_back({"intra_fid_" + std::to_string(k), s.fid[k], ""});
  return out;
}

bool measures_classes(const Config& config, const std::vector<std::string>& groups) {
  if (std::find(groups.begin(), groups.end(), "classes") == groups.end()) return false;
  if (config.model.conditional) return true;
  // Under "all" the group simply does not apply; named, it is a mistake worth a message.
  if (!config.eval.metrics.empty() && config.eval.metrics != "all")
    throw ConfigError("eval.metrics = '" + config.eval.metrics + "': the group 'classes' measures "
                      "a class-conditional generator (model.conditional = true)");
  return false;
}

}  // namespace gantrain::detail
