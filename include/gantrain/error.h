#pragma once
/// Error types shared by every module; main() maps them to exit codes.
#include <stdexcept>
#include <string>

namespace gantrain {

/// A failure the user can act on (bad data file, unwritable directory): exit code 1.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A bad command line or configuration value: exit code 2.
struct ConfigError : Error {
  using Error::Error;
};

/// The first non-empty line of an exception message (LibTorch's carry a C++ backtrace after it,
/// and 2.x's TorchScript errors start with a newline).
inline std::string first_line(const std::string& message) {
  const size_t start = message.find_first_not_of(" \n");
  if (start == std::string::npos) return "";
  return message.substr(start, message.find('\n', start) - start);
}

}  // namespace gantrain
