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

/// The first line of an exception message (LibTorch's carry a C++ backtrace after it).
inline std::string first_line(const std::string& message) {
  return message.substr(0, message.find('\n'));
}

}  // namespace gantrain
