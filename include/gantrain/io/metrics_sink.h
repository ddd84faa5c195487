#pragma once
/// Where a training run's measurements go: metrics.csv, the console, TensorBoard. The train
/// command gathers one row per log interval and hands it to every sink.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gantrain {

/// One log interval's measurements.
struct MetricsRow {
  int64_t step = 0;                      ///< training step the row describes
  std::map<std::string, double> values;  ///< by column; a column missing here was not measured
  std::vector<std::string> shown;        ///< task metrics as the console shows them ("even 99.8%")
  std::vector<std::string> eval_shown;   ///< eval metrics as shown; empty when no eval this row
  std::string sample_text;               ///< a glimpse of text samples (even-bits); may be empty
};

/// A destination of a run's metrics. Calls come in this order: open, then any mix of write,
/// write_image and write_text, with flush after each row.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  /// The columns rows may hold, in order ("step" first), and the step a resumed run continues
  /// from (0 for a fresh run): what a sink wrote beyond it is stale and must go.
  virtual void open(const std::vector<std::string>& columns, int64_t resume_step) = 0;
  /// One row.
  virtual void write(const MetricsRow& row) = 0;
  /// A sample grid of `step` as PNG bytes.
  virtual void write_image(int64_t step, const std::string& tag, const std::string& png) {
    (void)step, (void)tag, (void)png;
  }
  /// Text of `step` (the resolved config, text samples), as Markdown.
  virtual void write_text(int64_t step, const std::string& tag, const std::string& text) {
    (void)step, (void)tag, (void)text;
  }
  /// Makes what was written visible to readers (a live TensorBoard, tail -f).
  virtual void flush() {}
};

}  // namespace gantrain
