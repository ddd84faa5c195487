#include "gantrain/models/spectral_norm.h"

namespace gantrain {
namespace {

torch::Tensor unit(const torch::Tensor& v) { return v / (v.norm() + 1e-12); }

}  // namespace

SpectralNorm::SpectralNorm(torch::nn::Module& layer, int64_t out_features) {
  u_ = layer.register_buffer("weight_u", unit(torch::randn({out_features})));
}

torch::Tensor SpectralNorm::normalize(const torch::Tensor& weight) {
  if (!enabled()) return weight;
  const torch::Tensor matrix = weight.reshape({weight.size(0), -1});
  if (weight.requires_grad() && torch::GradMode::is_enabled()) {
    torch::NoGradGuard no_grad;
    const torch::Tensor v = unit(matrix.t().mv(u_));
    u_.copy_(unit(matrix.mv(v)));
  }
  // sigma = u^T W v with v = W^T u / |W^T u|, i.e. |W^T u|; u is a constant for the gradient,
  // as in torch.nn.utils.spectral_norm. A copy, so that a second forward pass before this one's
  // backward can update u without invalidating the tensor this graph saved.
  const torch::Tensor sigma = matrix.t().mv(u_.detach().clone()).norm();
  return weight / sigma;
}

}  // namespace gantrain
