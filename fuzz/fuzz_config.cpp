// libFuzzer target: the config loader. The input is read as a YAML file and, line by line, as
// --set arguments; settings are applied to the named task's defaults and validated. The contract:
// only gantrain::ConfigError escapes, and a config that passes round-trips through to_yaml.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "gantrain/commands.h"
#include "gantrain/config.h"
#include "gantrain/error.h"

namespace {

void check_round_trip(const gantrain::Config& config) {
  const std::string yaml = gantrain::to_yaml(config);
  gantrain::Config back = gantrain::default_config(config.task);
  gantrain::apply_settings(back, gantrain::read_config_text(yaml, "round-trip"));
  if (gantrain::to_yaml(back) != yaml) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto settings = gantrain::read_config_text(text, "fuzz.yaml");
    gantrain::Config config = gantrain::default_config(gantrain::task_named(settings, "even-bits"));
    gantrain::apply_settings(config, settings);
    gantrain::validate(config);
    check_round_trip(config);
  } catch (const gantrain::ConfigError&) {
  }
  gantrain::Config config = gantrain::default_config("mnist");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    try {
      gantrain::apply_setting(config, gantrain::parse_set_argument(line));
    } catch (const gantrain::ConfigError&) {
    }
  }
  try {
    gantrain::validate(config);
    check_round_trip(config);
  } catch (const gantrain::ConfigError&) {
  }
  return 0;
}
