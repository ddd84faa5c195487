#pragma once
/// How close generated integers are to the even-bits target: even, and all 64 evens covered.
/// Torch-free: the task measures its samples with it, and the report the sample files.
#include <array>
#include <cstdint>
#include <vector>

namespace gantrain {

/// Summary of a set of generated integers, meant to lie in [0, 128).
struct EvenBitsStats {
  int64_t samples = 0;        ///< how many integers were measured
  int64_t even = 0;           ///< how many of them are even, out-of-range ones included
  int64_t out_of_range = 0;   ///< how many lie outside [0, 128) (none from 7-bit samples)
  double even_fraction = 0;   ///< even / samples, in [0, 1]; NaN without samples
  int64_t distinct = 0;       ///< distinct values in [0, 128), in [0, 128]
  int64_t distinct_even = 0;  ///< distinct even values, in [0, 64]
  std::array<int64_t, 128> counts{};  ///< how often each value of [0, 128) occurs
  /// KL (nats) of the even samples' histogram from uniform over the 64 evens, in [0, log 64];
  /// NaN when no sample is even. Odd samples are left out: the even fraction measures them.
  double kl_even_uniform = 0;
};

/// Measures integers; any values, any number of them (none included).
EvenBitsStats even_bits_stats(const std::vector<int64_t>& integers);

}  // namespace gantrain
