#include "gantrain/io/eval_json.h"

#include <cmath>
#include <cstdio>

#include "gantrain/io/atomic_file.h"

namespace gantrain {
namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", c);
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN or Inf
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", v);
  return text;
}

}  // namespace

void write_eval_json(const std::string& path, const EvalRecord& record) {
  std::string json = "{\n  \"checkpoint\": " + quoted(record.checkpoint) +
                     ",\n  \"step\": " + std::to_string(record.step) +
                     ",\n  \"samples\": " + std::to_string(record.samples) +
                     ",\n  \"seed\": " + std::to_string(record.seed) + ",\n  \"metrics\": {";
  for (size_t i = 0; i < record.metrics.size(); ++i)
    json += std::string(i ? "," : "") + "\n    " + quoted(record.metrics[i].first) + ": " +
            number(record.metrics[i].second);
  json += "\n  }\n}\n";
  write_file_atomic(path, json);
}

}  // namespace gantrain
