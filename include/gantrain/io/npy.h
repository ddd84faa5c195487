#pragma once
/// NumPy's .npy format (version 1.0), written as a stream: the header, then the data in C order.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace gantrain {

/// The header of a little-endian, C-order array of `dtype` ("<f4": float32, "<i8": int64) and
/// `shape`, padded so that the data starts at a multiple of 64 bytes.
std::string npy_header(const std::string& dtype, const std::vector<int64_t>& shape);

}  // namespace gantrain
