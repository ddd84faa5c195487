// libFuzzer target: the IDX reader (raw and gzip) on arbitrary bytes. The contract: it returns an
// array whose dims describe its data exactly, or throws gantrain::Error; nothing else.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gantrain/data/idx.h"
#include "gantrain/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    gantrain::IdxArray array = gantrain::parse_idx(std::vector<uint8_t>(data, data + size), "fuzz");
    size_t count = 1;
    for (int64_t d : array.dims) count *= static_cast<size_t>(d);
    if (array.dims.empty() || count != array.data.size()) __builtin_trap();
  } catch (const gantrain::Error&) {
  }
  return 0;
}
