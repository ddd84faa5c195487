#pragma once
/// run.json: the facts of a run's latest training session, for `gantrain report`.
#include <cstdint>
#include <optional>
#include <string>

namespace gantrain {

/// What trained a run, and where.
struct RunInfo {
  std::string gantrain;        ///< gantrain version
  std::string libtorch;        ///< build_description(): LibTorch version, CUDA, cuDNN
  std::string device;          ///< resolved device: cpu, cuda:0
  int64_t threads = 0;         ///< LibTorch compute threads in use
  std::string started;         ///< UTC start of the session, ISO 8601
  int64_t resumed_from = 0;    ///< step the session resumed from; 0 = a fresh run
  std::string title;           ///< what the run trains on (Task::title); empty in older files
};

/// Writes `info` as JSON to `path`, atomically.
void write_run_info(const std::string& path, const RunInfo& info);

/// Reads run.json; nullopt if the file does not exist. Throws gantrain::Error naming the file
/// if it is not such a file.
std::optional<RunInfo> read_run_info(const std::string& path);

}  // namespace gantrain
