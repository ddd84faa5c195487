#pragma once
// Text helpers shared by the report's HTML and SVG writers (private to src/report).
#include <cmath>
#include <cstdio>
#include <string>

namespace gantrain::detail {

/// `text` with &, <, >, " and ' escaped, safe in HTML text and quoted attributes.
inline std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// printf into a std::string, however long the result.
template <typename... Args>
std::string format(const char* pattern, Args... args) {
  const int size = std::snprintf(nullptr, 0, pattern, args...);
  if (size <= 0) return "";
  std::string text(static_cast<size_t>(size) + 1, '\0');
  std::snprintf(text.data(), text.size(), pattern, args...);
  text.pop_back();
  return text;
}

/// A measured value for a table: whole numbers as such, others to 4 significant digits.
inline std::string format_value(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::round(v) && std::fabs(v) < 1e9) return format("%.0f", v);
  return format("%.4g", v);
}

}  // namespace gantrain::detail
