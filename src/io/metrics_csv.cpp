#include "gantrain/io/metrics_csv.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"

namespace gantrain {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}

// A field as written by write(): empty (not measured), a number, or nan/inf.
bool parse_field(const std::string& field, std::optional<double>& value) {
  if (field.empty()) {
    value.reset();
    return true;
  }
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  if (end != field.c_str() + field.size()) return false;
  value = v;
  return true;
}

// The first column, the step, as an integer: 7 significant digits would round 12345678.
std::string format_row(const std::vector<std::optional<double>>& values) {
  std::ostringstream row;
  row.precision(7);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row << ',';
    if (!values[i]) continue;
    if (i == 0)
      row << static_cast<int64_t>(*values[i]);
    else
      row << *values[i];
  }
  return row.str();
}

}  // namespace

int MetricsTable::index(const std::string& column) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == column) return static_cast<int>(i);
  return -1;
}

MetricsTable read_metrics_csv(const std::string& path) {
  const std::string text = read_file(path);
  MetricsTable table;
  const size_t header_end = text.find('\n');
  if (text.empty() || header_end == std::string::npos) {
    if (!text.empty()) table.warnings.push_back(path + ":1: incomplete header, ignored");
    return table;
  }
  table.columns = split_fields(text.substr(0, header_end));
  if (table.columns.empty() || table.columns.front() != "step")
    throw Error(path + ":1: expected a header starting with 'step', found '" +
                text.substr(0, std::min<size_t>(header_end, 40)) + "'");
  size_t start = header_end + 1;
  for (int line_number = 2; start < text.size(); ++line_number) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      // A run killed while appending leaves a last line without its newline.
      table.warnings.push_back(path + ":" + std::to_string(line_number) +
                               ": dropping an incomplete last row (the run was killed while "
                               "writing it)");
      break;
    }
    const std::vector<std::string> fields = split_fields(text.substr(start, end - start));
    start = end + 1;
    std::vector<std::optional<double>> row(fields.size());
    bool ok = fields.size() == table.columns.size();
    for (size_t i = 0; ok && i < fields.size(); ++i) ok = parse_field(fields[i], row[i]);
    // The step must be a whole number: rows are keyed by it.
    ok = ok && row[0] && std::isfinite(*row[0]) && *row[0] == std::floor(*row[0]);
    if (!ok) {
      table.warnings.push_back(path + ":" + std::to_string(line_number) +
                               ": dropping a malformed row");
      continue;
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

void MetricsCsv::open(const std::vector<std::string>& columns, int64_t resume_step) {
  columns_ = columns;
  std::string header;
  for (const auto& c : columns) header += (header.empty() ? "" : ",") + c;
  std::string kept = header + "\n";
  // A fresh run keeps nothing, so whatever was there does not matter.
  if (resume_step > 0 && std::filesystem::exists(path_)) {
    // Rows are derived data: damage must not stand between the user and a resume.
    MetricsTable old;
    try {
      old = read_metrics_csv(path_);
    } catch (const Error& e) {
      spdlog::warn("{}; starting the file over", e.what());
    }
    for (const auto& warning : old.warnings) spdlog::warn("{}", warning);
    std::vector<int> from;  // for each new column, its index in the old table (-1: none)
    for (const auto& c : columns) from.push_back(old.index(c));
    for (const auto& c : old.columns)
      if (std::find(columns.begin(), columns.end(), c) == columns.end())
        spdlog::warn("{}: column '{}' is no longer written; dropping it from the kept rows",
                     path_, c);
    for (const auto& old_row : old.rows) {
      if (*old_row[0] > static_cast<double>(resume_step)) continue;
      std::vector<std::optional<double>> row;
      for (int i : from) row.push_back(i < 0 ? std::nullopt : old_row[static_cast<size_t>(i)]);
      kept += format_row(row) + "\n";
    }
  }
  write_file_atomic(path_, kept);
  out_.close();
  out_.open(path_, std::ios::app);
  if (!out_) throw Error(path_ + ": cannot open for appending");
}

void MetricsCsv::write(const MetricsRow& row) {
  std::vector<std::optional<double>> values;
  for (const auto& c : columns_) {
    auto it = row.values.find(c);
    values.push_back(it == row.values.end() ? std::nullopt : std::optional<double>(it->second));
  }
  values[0] = static_cast<double>(row.step);
  out_ << format_row(values) << '\n' << std::flush;
  if (!out_) throw Error(path_ + ": write failed (disk full?)");
}

}  // namespace gantrain
