#pragma once
/// eval.json: what `gantrain eval` measured, for scripts and plots.
#include <cstdint>
#include <optional>
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
  /// Which weights: "generator" or "generator_ema" (the checkpoint key; files written before
  /// train.ema_decay existed read as "generator").
  std::string generator = "generator";
};

/// Writes `record` as JSON to `path`, atomically.
void write_eval_json(const std::string& path, const EvalRecord& record);

/// Reads eval.json; nullopt if the file does not exist. A null metric reads as NaN. Throws
/// gantrain::Error naming the file if it is not such a file.
std::optional<EvalRecord> read_eval_json(const std::string& path);

}  // namespace gantrain
