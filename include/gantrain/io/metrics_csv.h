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
  /// Opens `path` and atomically rewrites it as the header `columns` plus, from an existing file,
  /// the complete rows with step <= `keep_through_step` (a resumed run redoes the later ones).
  /// An incomplete last line or a malformed row is dropped with a warning.
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
