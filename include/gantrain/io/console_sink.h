#pragma once
/// The progress line: one short, aligned line per log interval through spdlog.
#include <cstdint>

#include "gantrain/io/metrics_sink.h"

namespace gantrain {

/// Logs each row as "epoch  step n/total  speed  ETA  losses  D(x)  D(G(z))  task metrics",
/// and an "eval at step n:" line when the row holds an evaluation.
class ConsoleSink : public MetricsSink {
 public:
  /// `epochs`: the data has epochs, so the line shows the epoch and images/s (else steps/s).
  ConsoleSink(int64_t total_steps, bool epochs) : total_steps_(total_steps), epochs_(epochs) {}
  void open(const std::vector<std::string>&, int64_t) override {}
  void write(const MetricsRow& row) override;

 private:
  int64_t total_steps_;
  bool epochs_;
};

/// "42s", "3m05s", "1h02m".
std::string format_duration(double seconds);

}  // namespace gantrain
