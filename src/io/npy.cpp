#include "gantrain/io/npy.h"

namespace gantrain {

std::string npy_header(const std::string& dtype, const std::vector<int64_t>& shape) {
  std::string dims;
  for (int64_t d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  if (shape.size() == 1) dims += ',';  // Python's one-element tuple: (3,)
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic, version 1.0, a 2-byte little-endian header length, then the dict padded with spaces
  // and ended by a newline so that the whole header is a multiple of 64 bytes.
  const size_t preamble = 10;
  const size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  std::string header = "\x93NUMPY";
  header += '\x01';
  header += '\x00';
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>((dict.size() >> 8) & 0xff);
  return header + dict;
}

}  // namespace gantrain
