#pragma once
/// eval.json: what `gantrain eval` measured, for scripts and plots.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gantrain {

/// One evaluation of a checkpoint.
struct EvalRecord {
  std::string checkpoint;  ///< the checkpoint file measured
  int64_t step = 0;        ///< its training step
  int64_t samples = 0;     ///< generated samples measured
  int64_t seed = 0;        ///< seed of their noise
  std::vector<std::pair<std::string, double>> metrics;  ///< name, value (NaN is written as null)
};

/// Writes `record` as JSON to `path`, atomically.
void write_eval_json(const std::string& path, const EvalRecord& record);

}  // namespace gantrain
