#include "gantrain/io/eval_json.h"

#include <limits>

#include "gantrain/io/atomic_file.h"
#include "io/json_text.h"

namespace gantrain {

void write_eval_json(const std::string& path, const EvalRecord& record) {
  std::string json = "{\n  \"checkpoint\": " + json_quoted(record.checkpoint) +
                     ",\n  \"step\": " + std::to_string(record.step) +
                     ",\n  \"samples\": " + std::to_string(record.samples) +
                     ",\n  \"seed\": " + std::to_string(record.seed) +
                     ",\n  \"generator\": " + json_quoted(record.generator) + ",\n  \"metrics\": {";
  for (size_t i = 0; i < record.metrics.size(); ++i)
    json += std::string(i ? "," : "") + "\n    " + json_quoted(record.metrics[i].first) + ": " +
            json_number(record.metrics[i].second);
  json += "\n  }\n}\n";
  write_file_atomic(path, json);
}

std::optional<EvalRecord> read_eval_json(const std::string& path) {
  return read_json_file<EvalRecord>(path, "an eval.json", [](const YAML::Node& root) {
    EvalRecord record;
    record.checkpoint = root["checkpoint"].as<std::string>();
    record.step = root["step"].as<int64_t>();
    record.samples = root["samples"].as<int64_t>();
    record.seed = root["seed"].as<int64_t>();
    if (root["generator"]) record.generator = root["generator"].as<std::string>();
    for (const auto& metric : root["metrics"]) {
      const double value = metric.second.IsNull() ? std::numeric_limits<double>::quiet_NaN()
                                                  : metric.second.as<double>();
      record.metrics.emplace_back(metric.first.as<std::string>(), value);
    }
    return record;
  });
}

}  // namespace gantrain
