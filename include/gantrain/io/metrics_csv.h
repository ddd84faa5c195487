#pragma once
/// metrics.csv: one row per log interval, first column "step".
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gantrain/io/metrics_sink.h"

namespace gantrain {

/// A metrics.csv read back: its columns and its complete rows.
struct MetricsTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<double>>> rows;  ///< empty field = not measured
  std::vector<std::string> warnings;  ///< "path:line: ..." for each line dropped

  /// Index of `column`, or -1.
  int index(const std::string& column) const;
};

/// Reads `path`. A torn last line (the run was killed while writing it) and malformed rows are
/// dropped with a warning; an empty file gives no columns. Throws gantrain::Error if unreadable.
MetricsTable read_metrics_csv(const std::string& path);

/// The metrics.csv sink: appends rows, flushing each so a crash loses at most the row being
/// written.
class MetricsCsv : public MetricsSink {
 public:
  explicit MetricsCsv(std::string path) : path_(std::move(path)) {}
  /// Atomically rewrites the file as the header `columns` plus, from an existing file, the
  /// complete rows with step <= `resume_step` (a resumed run redoes the later ones; 0 keeps
  /// none). Rows of an older column set are carried over by column name; a column this run no
  /// longer writes is dropped with a warning.
  void open(const std::vector<std::string>& columns, int64_t resume_step) override;
  /// Appends one row; NaN is written as nan.
  void write(const MetricsRow& row) override;

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::ofstream out_;
};

}  // namespace gantrain
