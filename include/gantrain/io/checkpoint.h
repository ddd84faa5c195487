#pragma once
/// Checkpoint files: a torch archive written atomically, with retention of step files.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "gantrain/io/run_dir.h"

namespace gantrain {

/// Layout version stored in every checkpoint; bumped when keys change meaning.
constexpr int64_t kCheckpointFormat = 1;

/// Writes `archive` as checkpoints/step_N.pt and points checkpoints/latest.pt at it, each
/// atomically; then deletes all but the newest `keep` step files (0 = keep all).
void save_checkpoint(torch::serialize::OutputArchive& archive, const RunDir& run, int64_t step,
                     int64_t keep);

/// Writes `archive` to `path` atomically.
void write_archive(torch::serialize::OutputArchive& archive, const std::string& path);

/// Opens a checkpoint file for reading on `device`; throws gantrain::Error naming the file if
/// it is unreadable or not a gantrain checkpoint of a known format.
torch::serialize::InputArchive read_archive(const std::string& path, torch::Device device);

/// A checkpoint file and its archive, opened once.
struct OpenedCheckpoint {
  std::string path;                        ///< the file chosen
  torch::serialize::InputArchive archive;  ///< read_archive(path, device)
  std::string config_yaml;                 ///< the run config stored in it
};

/// The checkpoint to continue from, opened on `device`: a file as is; for a run directory the
/// newest one that reads back (latest.pt, then step_N.pt newest first), logging each one
/// skipped and why. Throws gantrain::Error when there is none.
OpenedCheckpoint open_newest_valid_checkpoint(const std::string& path_or_run_dir,
                                              torch::Device device);

}  // namespace gantrain
