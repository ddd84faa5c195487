#pragma once
/// The subcommands as library functions; main() only parses arguments and calls these.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gantrain/config.h"

namespace gantrain {

/// What `gantrain train` does beyond the config.
struct TrainRequest {
  Config config;                      ///< validated, log.out set
  std::string resume_checkpoint;      ///< continue from this checkpoint file; empty = fresh run
  std::function<bool()> should_stop;  ///< polled after each step (Ctrl-C); may be empty
  /// Called once the run directory exists (main adds its log file there); may be empty.
  std::function<void(const std::string&)> on_run_dir;
};

/// How a training run ended.
struct TrainResult {
  std::string run_dir;       ///< where everything was written
  int64_t steps_done = 0;    ///< steps completed (== total unless stopped)
  bool stopped = false;      ///< ended early by should_stop, after writing a checkpoint
};

/// Trains a run to config.train.steps (or epochs), writing the run directory.
TrainResult train(const TrainRequest& request);

/// Where `--resume` continues from: the checkpoint file and the run config stored in it.
struct ResumePoint {
  std::string checkpoint;
  Config config;
};

/// The newest valid checkpoint of a run directory (or the file named), read once.
ResumePoint find_resume_point(const std::string& path_or_run_dir);

/// What `gantrain sample` does.
struct SampleRequest {
  std::string checkpoint;   ///< checkpoint file or run directory
  int64_t n = 64;           ///< samples to draw (per_class replaces it)
  int64_t nrow = 8;         ///< grid images per row (per_class replaces it)
  int64_t seed = 0;         ///< noise seed
  std::vector<int64_t> classes;  ///< conditional: classes to draw in turn; empty = every class
  int64_t per_class = 0;    ///< conditional: this many of each class, one grid row per class
  double truncation = 0;    ///< > 0: gaussian noise truncated to [-truncation, truncation]
  bool interpolate = false; ///< rows of nrow spherical interpolation steps between random latents
  std::string out;          ///< output file (PNG grid, or .npy); empty = print (even-bits)
  std::string out_dir;      ///< one PNG file per sample here (or samples.npy with format npy)
  SampleFormat format = SampleFormat::kPng;
  int64_t scale = 1;        ///< image grids: pixels per sample pixel (nearest neighbour)
  DeviceChoice device{DeviceKind::kCpu};
  bool raw_generator = false;  ///< G itself even where the run kept an EMA of it
};

/// Draws samples from a checkpoint's generator, in batches (a progress line when it takes a
/// while); returns the text to print (may be empty).
std::string sample(const SampleRequest& request);

/// What `gantrain eval` does.
struct EvalRequest {
  std::string checkpoint;       ///< checkpoint file or run directory
  int64_t n = 0;                ///< generated samples; 0 = the run's eval.samples
  std::string metrics;          ///< comma-separated metric groups; empty = the run's eval.metrics
  int64_t seed = -1;            ///< noise seed; -1 = the one training-time evaluation uses
  DeviceChoice device;          ///< cpu, cuda, cuda:N or auto
  std::string data_dir;         ///< real data directory; empty = the run's
  bool raw_generator = false;   ///< G itself even where the run kept an EMA of it
  std::string out;              ///< JSON file to write; empty = eval.json in the run directory
  double truncation = -1;       ///< the noise's truncation (eval.truncation); -1 = the run's
};

/// Measures a checkpoint's generator (docs/metrics.md), writes eval.json (or `out`) and returns
/// the table to print.
std::string evaluate(const EvalRequest& request);

/// What `gantrain report` does.
struct ReportRequest {
  std::string run_dir;  ///< the run to show
  std::string out;      ///< HTML file to write; empty = RUN_DIR/report.html
};

/// Writes the run's HTML report (report/report.h); returns the file written.
std::string report(const ReportRequest& request);

/// "name  summary" of every task, for --help.
std::vector<std::string> task_summaries();

/// The task names, comma-separated, for --help.
std::string task_names();

/// Built-in defaults of a task (Config{} plus the task's own); throws ConfigError if unknown.
Config default_config(const std::string& task);

}  // namespace gantrain
