#pragma once
/// The metrics sinks of a training run, made in one place: to add a sink, write its class
/// (io/<name>_sink.{h,cpp}) and add its line to make_sinks.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gantrain/io/metrics_sink.h"
#include "gantrain/metrics/metrics_schema.h"

namespace gantrain {

/// What the sinks of a run are made from.
struct SinkSettings {
  std::string run_dir;
  MetricsSchema schema;
  int64_t total_steps = 0;   ///< the run's length, for the progress line's ETA
  bool epochs = false;       ///< the data has epochs: the progress line shows epoch and img/s
  bool tensorboard = true;   ///< log.tensorboard
};

/// metrics.csv, the progress line and, with log.tensorboard, TensorBoard's event files.
std::vector<std::unique_ptr<MetricsSink>> make_sinks(const SinkSettings& settings);

}  // namespace gantrain
