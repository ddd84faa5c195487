#pragma once
/// Integrity check of a checkpoint's zip container, before LibTorch parses it.
#include <string>

namespace gantrain {

/// Checks that `bytes` is a complete zip archive whose every record matches the CRC-32 its
/// central directory holds (LibTorch 1.13's reader does not check them, so a flipped bit in a
/// tensor would load silently). Throws gantrain::Error starting with `name` otherwise.
void verify_zip_checksums(const std::string& bytes, const std::string& name);

}  // namespace gantrain
