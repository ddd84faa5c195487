#include "gantrain/io/metrics_csv.h"

#include <charconv>
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
  std::ifstream existing(path_);
  std::string line;
  if (existing && std::getline(existing, line)) {
    if (line != header)
      throw Error(path_ + ": existing columns '" + line + "' differ from this run's '" + header + "'");
    for (int row = 2; std::getline(existing, line); ++row) {
      int64_t step = 0;
      auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), step);
      if (ec != std::errc() || end == line.data() + line.size() || *end != ',')
        throw Error(path_ + ":" + std::to_string(row) + ": expected a row starting with a step, got '" +
                    line.substr(0, 40) + "'");
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
