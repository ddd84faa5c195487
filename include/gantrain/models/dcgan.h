#pragma once
/// DCGAN (Radford et al. 2016) for small square images: transposed convolutions with batch norm
/// and ReLU in G, strided convolutions with LeakyReLU in D, no pooling, N(0, 0.02) weights.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "gantrain/models/gan_modules.h"
#include "gantrain/models/spectral_norm.h"

namespace gantrain {

/// Shape of a DCGAN. Each width is one resolution stage: G grows a base x base map by a factor
/// of 2 per stage to side x side, D halves it back, so side = base * 2^stages.
struct DcganOptions {
  int64_t latent_dim = 100;
  int64_t channels = 1;                   ///< image channels
  int64_t side = 28;                      ///< image height = width
  std::vector<int64_t> g_widths = {128, 64};  ///< G's channels, from the base map up
  std::vector<int64_t> d_widths = {64, 128};  ///< D's channels, from the image down
  double leaky_slope = 0.2;               ///< D's LeakyReLU
  double dropout = 0.0;                   ///< D: dropout after each LeakyReLU
  bool spectral_norm = false;             ///< D: spectrally normalised convolutions, no batch norm
  /// > 0: class-conditional. G: class-conditional batch norm (each "layers.bnI" without affine
  /// parameters, then x * (1 + gain) + bias per channel from "class_bnI" [classes, 2 * width]:
  /// gains in the first half, biases in the second). D: projection (Miyato & Koyama 2018),
  /// "embed" [classes, features entering the last convolution], zero at start.
  int64_t num_classes = 0;
};

/// The base map's side for `stages` stages, or 0 when side is not base * 2^stages (base >= 2).
int64_t dcgan_base_side(int64_t side, size_t stages);

/// Noise [N, latent_dim] (with labels when conditional) -> images [N, channels * side * side]
/// in (-1, 1) (tanh).
class DcganGeneratorImpl : public GeneratorImpl {
 public:
  explicit DcganGeneratorImpl(DcganOptions options);
  torch::Tensor forward(const Latents& latents) override;
  int64_t num_classes() const override { return options_.num_classes; }
  const DcganOptions& options() const { return options_; }

 private:
  DcganOptions options_;
  // The stages' modules, registered in "layers" as up0, bn0, up1, ... (the checkpoint names).
  std::vector<torch::nn::ConvTranspose2d> up_;
  std::vector<torch::nn::BatchNorm2d> norm_;            // after up_[i], all but the last
  std::vector<torch::nn::Embedding> class_norm_;        // conditional: gains and biases per class
};

/// Images [N, channels * side * side] (with labels when conditional) -> logits [N, 1].
class DcganDiscriminatorImpl : public DiscriminatorImpl {
 public:
  explicit DcganDiscriminatorImpl(DcganOptions options);
  torch::Tensor forward(const Batch& batch) override;
  bool mixes_batch() const override { return !norm_.empty(); }

 private:
  DcganOptions options_;
  std::vector<torch::nn::Conv2d> conv_;
  std::vector<torch::nn::BatchNorm2d> norm_;  // after conv i (i >= 1, not the last); may be empty
  std::vector<SpectralNorm> spectral_;
  torch::nn::Embedding embed_{nullptr};       // conditional only: the projection's class vectors
};

}  // namespace gantrain
