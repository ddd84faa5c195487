#pragma once
/// The run directory of a training run (DESIGN.md section 12), on the writing rank only (rank 0,
/// or the single process): config.yaml, run.json, the metrics sinks, sample files, checkpoints
/// and the end of the run (the done line, the all-reduce figures, the report).
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gantrain/io/metrics_sink.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/run_lock.h"
#include "gantrain/run/interval_clock.h"
#include "gantrain/run/run_metrics.h"
#include "gantrain/run/training_run.h"

namespace gantrain {

class RunWriter {
 public:
  /// Locks the run directory log.out (creating it; a second writer is refused), calls
  /// `on_run_dir` with it, writes config.yaml and run.json, drops what a resumed run redoes
  /// (later checkpoints, samples and TensorBoard events), and opens the sinks. Starts the
  /// training clock.
  RunWriter(TrainingRun& run, const std::function<void(const std::string&)>& on_run_dir);
  ~RunWriter();

  const RunDir& dir() const { return dir_; }
  /// The start line: what trains on which device, how long, the batch, the run directory.
  void announce() const;
  /// The metrics row of log point `point`, to every sink; its measuring time is not training.
  void write_row(const LogPoint& point);
  /// The current step's samples (a PNG grid or text) to samples/ and to the sinks.
  void write_samples();
  /// `archive` (TrainingRun::checkpoint) as the current step's checkpoint.
  void write_checkpoint(torch::serialize::OutputArchive& archive);
  /// The end: the done line (unless the run stopped early), the gradient all-reduce's figures
  /// in a data-parallel run, and report.html (log.report).
  void finish();

 private:
  TrainingRun& run_;
  RunLock lock_;  // first: nothing in the directory is touched before it is held
  RunMetrics metrics_;
  RunDir dir_;
  IntervalClock clock_;
  std::vector<std::unique_ptr<MetricsSink>> sinks_;
};

}  // namespace gantrain
