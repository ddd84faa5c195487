#pragma once
/// Multi-layer perceptrons: the generator and the discriminator of both tasks.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gantrain/config.h"

namespace gantrain {

/// Shape of an MLP: in -> hidden... -> out, an activation after each hidden layer.
struct MlpOptions {
  int64_t in = 0;                         ///< input features
  std::vector<int64_t> hidden;            ///< hidden widths, may be empty
  int64_t out = 0;                        ///< output features
  std::string activation = "leaky_relu";  ///< leaky_relu, relu or tanh
  double leaky_slope = 0.2;               ///< negative slope of leaky_relu
  double dropout = 0.0;                   ///< dropout after each hidden activation
  std::string output = "none";            ///< output nonlinearity: none, sigmoid or tanh
};

/// [N, in] -> [N, out]. Submodules are named "fc0", "fc1", ... (the checkpoint schema).
class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(MlpOptions options);
  /// [N, in] -> [N, out]
  torch::Tensor forward(torch::Tensor x);
  /// The options it was built with.
  const MlpOptions& options() const { return options_; }

 private:
  MlpOptions options_;
  torch::nn::Sequential layers_;
};
TORCH_MODULE(Mlp);

/// Generator: [N, latent_dim] -> [N, data_dim], output squashed by `output` (sigmoid or tanh).
Mlp make_generator(const ModelConfig& model, int64_t data_dim, const std::string& output);

/// Discriminator: [N, data_dim] -> [N, 1] logits. The sigmoid is folded into the loss
/// (BCE-with-logits): the same model as a sigmoid output with BCE, numerically safer.
Mlp make_discriminator(const ModelConfig& model, int64_t data_dim);

/// Loads `model`'s parameters from `archive`; throws c10::Error naming the tensor when one has
/// another shape or type than the model (torch's own load would silently take it).
void load_parameters(Mlp& model, torch::serialize::InputArchive& archive);

/// Draws [n, latent_dim] noise of kind bits/gaussian/uniform on `device`; `generator` may be
/// undefined (the device's default generator is used then).
torch::Tensor sample_noise(const std::string& kind, int64_t n, int64_t latent_dim,
                           torch::Device device, c10::optional<at::Generator> generator = {});

}  // namespace gantrain
