#include "gantrain/io/run_info.h"

#include "gantrain/io/atomic_file.h"
#include "io/json_text.h"

namespace gantrain {

void write_run_info(const std::string& path, const RunInfo& info) {
  write_file_atomic(path, "{\n  \"gantrain\": " + json_quoted(info.gantrain) +
                              ",\n  \"libtorch\": " + json_quoted(info.libtorch) +
                              ",\n  \"device\": " + json_quoted(info.device) +
                              ",\n  \"threads\": " + std::to_string(info.threads) +
                              ",\n  \"started\": " + json_quoted(info.started) +
                              ",\n  \"resumed_from\": " + std::to_string(info.resumed_from) +
                              ",\n  \"title\": " + json_quoted(info.title) + "\n}\n");
}

std::optional<RunInfo> read_run_info(const std::string& path) {
  return read_json_file<RunInfo>(path, "a run.json", [](const YAML::Node& root) {
    RunInfo info;
    info.gantrain = root["gantrain"].as<std::string>();
    info.libtorch = root["libtorch"].as<std::string>();
    info.device = root["device"].as<std::string>();
    info.threads = root["threads"].as<int64_t>();
    info.started = root["started"].as<std::string>();
    info.resumed_from = root["resumed_from"].as<int64_t>();
    if (root["title"]) info.title = root["title"].as<std::string>();
    return info;
  });
}

}  // namespace gantrain
