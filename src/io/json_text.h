#pragma once
// The two pieces of JSON that run.json and eval.json are written with.
#include <string>

namespace gantrain {

/// `text` as a JSON string literal, quotes included.
std::string json_quoted(const std::string& text);

/// `v` as a JSON number; null for NaN and infinities, which JSON lacks.
std::string json_number(double v);

}  // namespace gantrain
