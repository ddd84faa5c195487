#include "gantrain/io/sinks.h"

#include "gantrain/io/console_sink.h"
#include "gantrain/io/metrics_csv.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/tensorboard_sink.h"

namespace gantrain {

std::vector<std::unique_ptr<MetricsSink>> make_sinks(const SinkSettings& s) {
  std::vector<std::unique_ptr<MetricsSink>> sinks;
  sinks.push_back(std::make_unique<MetricsCsv>(RunDir{s.run_dir}.metrics_path()));
  sinks.push_back(std::make_unique<ConsoleSink>(s.total_steps, s.epochs));
  if (s.tensorboard) sinks.push_back(std::make_unique<TensorBoardSink>(s.run_dir, s.schema));
  return sinks;
}

}  // namespace gantrain
