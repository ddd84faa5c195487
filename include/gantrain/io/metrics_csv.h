#pragma once
/// metrics.csv: one row per log interval, first column "step".
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace gantrain {

/// Appends rows to a CSV file, flushing each so a crash loses at most the row being written.
class MetricsCsv {
 public:
  /// Opens `path`. A new or empty file gets the header `columns`; an existing one keeps only
  /// the rows with step <= `keep_through_step` (rows a resumed run is about to redo).
  MetricsCsv(std::string path, std::vector<std::string> columns, int64_t keep_through_step);
  /// Appends one row; values.size() must equal the number of columns. An empty optional
  /// (not measured this row) is an empty field; NaN is written as nan.
  void append(const std::vector<std::optional<double>>& values);

 private:
  std::string path_;
  size_t columns_;
  std::ofstream out_;
};

}  // namespace gantrain
