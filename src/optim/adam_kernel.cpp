// Compiled with -O3 -fno-math-errno -ffp-contract=off (CMakeLists.txt): the loop vectorizes
// (sqrt included), and without contraction every element gets the same IEEE float operations
// whether it falls in a vector body or a scalar tail, so results are bit-identical on any x86
// vector width and for any split of the range.
#include "gantrain/optim/adam_kernel.h"

#include <cmath>

// One copy of the loop per vector ISA, chosen when the program loads (GCC and Clang on x86-64
// Linux); a build for the baseline ISA alone would use 4 of AVX-512's 16 float lanes.
#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define GANTRAIN_PER_ISA __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GANTRAIN_PER_ISA
#endif

namespace gantrain {

AdamScalars adam_scalars(double lr, double beta1, double beta2, double eps, int64_t step) {
  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(beta1, t);
  const double bias_correction2 = 1.0 - std::pow(beta2, t);
  return {static_cast<float>(beta1), static_cast<float>(1.0 - beta1),
          static_cast<float>(beta2), static_cast<float>(1.0 - beta2),
          static_cast<float>(std::sqrt(bias_correction2)), static_cast<float>(eps),
          static_cast<float>(-lr / bias_correction1)};
}

GANTRAIN_PER_ISA
void adam_update(const AdamScalars& s, float* __restrict param, float* __restrict grad,
                 float* __restrict exp_avg, float* __restrict exp_avg_sq, int64_t n) {
  const AdamScalars k = s;  // locals: the compiler need not reload them through the reference
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    grad[i] = 0;  // ready for the next backward, which adds into it: no separate zeroing pass
    const float m = exp_avg[i] * k.beta1 + g * k.one_minus_beta1;
    const float v = exp_avg_sq[i] * k.beta2 + k.one_minus_beta2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] += k.neg_step_size * (m / (std::sqrt(v) / k.bias_correction2_sqrt + k.eps));
  }
}

}  // namespace gantrain
