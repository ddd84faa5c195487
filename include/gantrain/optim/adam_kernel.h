#pragma once
/// The element-wise Adam update on raw float arrays: no LibTorch here, so this one file can be
/// compiled for each vector ISA (see its .cpp).
#include <cstdint>

namespace gantrain {

/// The scalars of one Adam step (Kingma & Ba 2015, Algorithm 1, with the bias corrections
/// written as torch::optim::Adam writes them), in the float precision of the update.
struct AdamScalars {
  float beta1, one_minus_beta1;        ///< first-moment decay and its complement
  float beta2, one_minus_beta2;        ///< second-moment decay and its complement
  float bias_correction2_sqrt;         ///< sqrt(1 - beta2^t)
  float eps;                           ///< added to the denominator
  float neg_step_size;                 ///< -lr / (1 - beta1^t)
};

/// Adam's step at t = `step` (1-based) in double, rounded to float as LibTorch rounds scalars.
AdamScalars adam_scalars(double lr, double beta1, double beta2, double eps, int64_t step);

/// One pass over `n` elements: m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
/// p += -step_size m / (sqrt(v) / sqrt(1 - beta2^t) + eps); g = 0. Each array is read once and
/// written once. Results do not depend on where a call's range starts or ends,
/// nor on the machine's vector width (no fused multiply-adds).
void adam_update(const AdamScalars& s, float* param, float* grad, float* exp_avg,
                 float* exp_avg_sq, int64_t n);

}  // namespace gantrain
