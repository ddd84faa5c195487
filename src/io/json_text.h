#pragma once
// The JSON files gantrain writes (run.json, eval.json): the two pieces they are written with,
// and the one way they are read back.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <string>

#include "gantrain/error.h"

namespace gantrain {

/// `text` as a JSON string literal, quotes included.
std::string json_quoted(const std::string& text);

/// `v` as a JSON number; null for NaN and infinities, which JSON lacks.
std::string json_number(double v);

/// `parse` of the root of the JSON file at `path`; nullopt when there is no such file. A file
/// that does not parse is an Error "PATH: not WHAT file: ..." (`what` with its article). JSON is
/// YAML: yaml-cpp reads it, and stays private to io/.
template <typename T, typename Parse>
std::optional<T> read_json_file(const std::string& path, const std::string& what, Parse parse) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    return parse(YAML::LoadFile(path));
  } catch (const YAML::Exception& e) {
    throw Error(path + ": not " + what + " file: " + e.msg);
  }
}

}  // namespace gantrain
