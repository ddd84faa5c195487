#pragma once
/// Spectral normalisation of a layer's weight (Miyato et al. 2018): W / sigma(W), sigma the
/// largest singular value, estimated by power iteration with a persistent vector u.
#include <torch/torch.h>

#include <cstdint>

namespace gantrain {

class SpectralNorm {
 public:
  SpectralNorm() = default;
  /// Registers the power-iteration vector as buffer "weight_u" of `layer` (so checkpoints carry
  /// it), drawn N(0, 1) and normalised, for a weight of `out_features` rows.
  SpectralNorm(torch::nn::Module& layer, int64_t out_features);

  /// W / sigma(W) for `weight` [out, ...] (flattened to [out, rest] for sigma). One power
  /// iteration first updates u when the weight is being trained (it requires grad, as in D's
  /// own update, not in G's, and grad mode is on): one iteration per training step.
  torch::Tensor normalize(const torch::Tensor& weight);

  bool enabled() const { return u_.defined(); }

 private:
  torch::Tensor u_;  // aliases the registered buffer: to(), load() update it in place
};

}  // namespace gantrain
