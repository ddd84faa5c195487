#pragma once
/// The run directory: config.yaml, run.json, metrics.csv, train.log, events.out.tfevents.*,
/// samples/, checkpoints/, eval.json, report.html.
#include <cstdint>
#include <string>
#include <vector>

namespace gantrain {

/// Paths inside one run directory.
struct RunDir {
  std::string root;
  std::string config_path() const { return root + "/config.yaml"; }
  std::string metrics_path() const { return root + "/metrics.csv"; }
  std::string log_path() const { return root + "/train.log"; }
  std::string run_info_path() const { return root + "/run.json"; }
  std::string eval_path() const { return root + "/eval.json"; }
  /// The images task's memorisation check: samples over their nearest training images.
  std::string closest_pairs_path() const { return root + "/closest_pairs.png"; }
  std::string report_path() const { return root + "/report.html"; }
  std::string samples_dir() const { return root + "/samples"; }
  std::string checkpoints_dir() const { return root + "/checkpoints"; }
  std::string latest_checkpoint() const { return checkpoints_dir() + "/latest.pt"; }
  /// checkpoints/step_000500.pt
  std::string checkpoint_path(int64_t step) const;
  /// samples/step_000500.<extension>
  std::string sample_path(int64_t step, const std::string& extension) const;
};

/// runs/<task>-<YYYYmmdd-HHMMSS> under the current directory.
std::string default_run_root(const std::string& task);

/// Creates the directory and its subdirectories, removing the temporary files a killed run left;
/// throws gantrain::Error if it cannot write there.
RunDir create_run_dir(const std::string& root);

/// Makes a run resumed at `step` forget its abandoned future: the step_N checkpoints and sample
/// files after `step` and an eval.json of a later step go, and latest.pt points at the newest
/// checkpoint left (or goes, if none is left). Logs what it removed.
void drop_steps_after(const RunDir& run, int64_t step);

/// The run directory a checkpoint file belongs to (RUN/checkpoints/x.pt -> RUN).
std::string run_dir_of_checkpoint(const std::string& checkpoint);

/// True when `root` already holds a run worth keeping: a checkpoint (latest.pt or step_N.pt).
bool holds_run(const std::string& root);

/// The checkpoint a path names: a .pt file as is, a run directory's checkpoints/latest.pt.
std::string resolve_checkpoint(const std::string& path_or_run_dir);

/// The run's checkpoints/step_N.pt files, oldest first (empty when there are none).
std::vector<std::string> step_checkpoints(const RunDir& run);

/// A file of one training step: samples/step_000500.png.
struct StepFile {
  int64_t step = 0;
  std::string path;
};

/// The step_N.<extension> files in `directory`, oldest first (empty when there are none).
std::vector<StepFile> step_files(const std::string& directory, const std::string& extension);

/// Directory for gantrain's caches (the evaluation classifier): $GANTRAIN_CACHE, else
/// $XDG_CACHE_HOME/gantrain, else ~/.cache/gantrain; created if missing; throws Error if not.
std::string cache_directory();

}  // namespace gantrain
