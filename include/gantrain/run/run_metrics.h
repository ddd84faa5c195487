#pragma once
/// What a training run measures at each metrics row (DESIGN.md section 12): the row's columns
/// (metrics_schema.h), the row itself and the end-of-run summary. Runs on the writing rank.
#include <cstdint>
#include <string>

#include "gantrain/io/metrics_sink.h"
#include "gantrain/metrics/metrics_schema.h"
#include "gantrain/run/training_run.h"

namespace gantrain {

class RunMetrics {
 public:
  /// The schema of `run`: its loss's D columns, its task's metrics, its evaluator's.
  explicit RunMetrics(TrainingRun& run);

  const MetricsSchema& schema() const { return schema_; }
  /// The row of log point `point`: the interval's training statistics, the task metrics, the
  /// evaluation when due (eval.every, or the last step), a glimpse of text samples and the
  /// training speed; the caller adds elapsed_s. The eval samples are generated once per row.
  MetricsRow row(const LogPoint& point, double steps_per_second);
  /// "over 10000 samples: even 100.0%, ..." from the task metrics of the final generator;
  /// empty when the task has none.
  std::string summary();

 private:
  TrainingRun& run_;
  MetricsSchema schema_;
};

}  // namespace gantrain
