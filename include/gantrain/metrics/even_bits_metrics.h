#pragma once
/// How close generated integers are to the even-bits target: even, and all 64 evens covered.
#include <torch/torch.h>

#include <cstdint>

namespace gantrain {

/// Summary of a set of generated integers in [0, 128).
struct EvenBitsStats {
  int64_t samples = 0;          ///< how many integers were measured
  double even_fraction = 0;     ///< share of even integers, in [0, 1]
  int64_t distinct = 0;         ///< distinct values among them, in [0, 128]
  int64_t distinct_even = 0;    ///< distinct even values, in [0, 64]
  /// KL (nats) of the even samples' histogram from uniform over the 64 evens, in [0, log 64];
  /// NaN when no sample is even. Odd samples are left out: the even fraction measures them.
  double kl_even_uniform = 0;
};

/// Measures [N] int64 integers in [0, 128).
EvenBitsStats even_bits_stats(const torch::Tensor& integers);

}  // namespace gantrain
