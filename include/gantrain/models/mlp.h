#pragma once
/// Multi-layer perceptrons: the seed generator and discriminator of both tasks.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gantrain/models/gan_modules.h"
#include "gantrain/models/spectral_norm.h"

namespace gantrain {

/// The nonlinearity after an MLP's last layer.
enum class MlpOutput { kNone, kSigmoid, kTanh };

/// Shape of an MLP: in -> hidden... -> out, an activation after each hidden layer.
struct MlpOptions {
  int64_t in = 0;                         ///< input features
  std::vector<int64_t> hidden;            ///< hidden widths, may be empty
  int64_t out = 0;                        ///< output features
  Activation activation = Activation::kLeakyRelu;  ///< after each hidden layer
  double leaky_slope = 0.2;               ///< negative slope of leaky_relu
  double dropout = 0.0;                   ///< dropout after each hidden activation
  MlpOutput output = MlpOutput::kNone;    ///< after the last layer
  bool spectral_norm = false;             ///< spectrally normalised weights (discriminators)
};

/// The layers of an MLP, registered on the module that owns them as "layers" with linear layers
/// "fc0", "fc1", ... (the checkpoint schema of every gantrain MLP).
class MlpLayers {
 public:
  MlpLayers(torch::nn::Module& owner, MlpOptions options);
  /// [N, in] -> [N, out]; dropout only while `owner` trains.
  torch::Tensor forward(const torch::Tensor& x, bool training);

 private:
  MlpOptions options_;
  std::vector<torch::nn::Linear> linear_;
  std::vector<SpectralNorm> norm_;  // one per linear layer; disabled without spectral_norm
};

/// MLP generator: noise [N, in] -> samples [N, out].
class MlpGeneratorImpl : public GeneratorImpl {
 public:
  explicit MlpGeneratorImpl(MlpOptions options) : layers_(*this, std::move(options)) {}
  torch::Tensor forward(torch::Tensor noise) override { return layers_.forward(noise, is_training()); }

 private:
  MlpLayers layers_;
};

/// MLP discriminator: samples [N, in] -> logits [N, out = 1].
class MlpDiscriminatorImpl : public DiscriminatorImpl {
 public:
  explicit MlpDiscriminatorImpl(MlpOptions options) : layers_(*this, std::move(options)) {}
  torch::Tensor forward(torch::Tensor samples) override {
    return layers_.forward(samples, is_training());
  }

 private:
  MlpLayers layers_;
};

/// The parameter count of an MLP of these widths.
int64_t mlp_parameter_count(const std::vector<int64_t>& hidden, int64_t in, int64_t out);

}  // namespace gantrain
