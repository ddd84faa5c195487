#include "gantrain/io/metrics_csv.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <iterator>
#include <sstream>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"

namespace gantrain {

MetricsCsv::MetricsCsv(std::string path, std::vector<std::string> columns,
                       int64_t keep_through_step)
    : path_(std::move(path)), columns_(columns.size()) {
  std::string header;
  for (const auto& c : columns) header += (header.empty() ? "" : ",") + c;
  std::string kept = header + "\n";
  std::ifstream existing(path_, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(existing)), std::istreambuf_iterator<char>());
  // A fresh run (keep_through_step 0) keeps nothing, so whatever was there does not matter.
  const size_t header_end = text.find('\n');
  if (keep_through_step > 0 && header_end != std::string::npos) {
    if (text.compare(0, header_end, header) != 0)
      throw Error(path_ + ": existing columns '" + text.substr(0, header_end) +
                  "' differ from this run's '" + header + "'");
    size_t start = header_end + 1;
    for (int row = 2; start < text.size(); ++row) {
      const size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        // A run killed while appending leaves a last line without its newline: drop it.
        spdlog::warn("{}:{}: dropping an incomplete last row (the run was killed while writing it)",
                     path_, row);
        break;
      }
      const std::string line = text.substr(start, end - start);
      start = end + 1;
      int64_t step = 0;
      auto [stop, ec] = std::from_chars(line.data(), line.data() + line.size(), step);
      if (ec != std::errc() || stop == line.data() + line.size() || *stop != ',') {
        // Rows are derived data: a damaged one must not stand between the user and a resume.
        spdlog::warn("{}:{}: dropping a malformed row '{}'", path_, row, line.substr(0, 40));
        continue;
      }
      if (step <= keep_through_step) kept += line + "\n";
    }
  }
  write_file_atomic(path_, kept);
  out_.open(path_, std::ios::app);
  if (!out_) throw Error(path_ + ": cannot open for appending");
}

void MetricsCsv::append(const std::vector<std::optional<double>>& values) {
  if (values.size() != columns_)
    throw Error(path_ + ": row has " + std::to_string(values.size()) + " values, expected " +
                std::to_string(columns_));
  std::ostringstream row;
  row.precision(7);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row << ',';
    if (values[i]) row << *values[i];
  }
  out_ << row.str() << '\n' << std::flush;
  if (!out_) throw Error(path_ + ": write failed (disk full?)");
}

}  // namespace gantrain
