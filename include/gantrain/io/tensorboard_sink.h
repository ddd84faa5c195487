#pragma once
/// TensorBoard as a metrics sink: a run's rows, sample images and text as TensorBoard events.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gantrain/io/event_file.h"
#include "gantrain/io/metrics_sink.h"
#include "gantrain/metrics/metrics_schema.h"

namespace gantrain {

/// The TensorBoard sink: every column as a scalar under the schema's tag for it, images and text
/// as they come, in a new events.out.tfevents.<time>.<host>.<pid>.<n> file in `directory` per
/// training session.
class TensorBoardSink : public MetricsSink {
 public:
  /// Writes into `directory` (created if missing), each column under `schema`'s tag for it.
  TensorBoardSink(std::string directory, MetricsSchema schema);
  /// Starts this session's file; on a resume (resume_step > 0) with a SessionLog START at
  /// resume_step + 1. Older files are trim_event_files' concern.
  void open(const std::vector<std::string>& columns, int64_t resume_step) override;
  void write(const MetricsRow& row) override;
  void write_image(int64_t step, const std::string& tag, const std::string& png) override;
  void write_text(int64_t step, const std::string& tag, const std::string& text) override;
  void flush() override;

 private:
  std::string directory_;
  MetricsSchema schema_;
  std::optional<EventFileWriter> writer_;
};

}  // namespace gantrain
