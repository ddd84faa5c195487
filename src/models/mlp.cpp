#include "gantrain/models/mlp.h"

namespace gantrain {

MlpLayers::MlpLayers(torch::nn::Module& owner, MlpOptions options) : options_(std::move(options)) {
  TORCH_CHECK(options_.in > 0 && options_.out > 0, "Mlp: in and out must be positive");
  // Only the linear layers are modules: the activations are applied in forward(). The
  // registration order and names are those of the seed's nn::Sequential, so its checkpoints load.
  torch::nn::Sequential layers;
  int64_t width = options_.in;
  std::vector<int64_t> widths = options_.hidden;
  widths.push_back(options_.out);
  for (size_t i = 0; i < widths.size(); ++i) {
    torch::nn::Linear linear(width, widths[i]);
    layers->push_back("fc" + std::to_string(i), linear);
    linear_.push_back(linear);
    norm_.push_back(options_.spectral_norm ? SpectralNorm(*linear, widths[i]) : SpectralNorm());
    width = widths[i];
  }
  owner.register_module("layers", layers);
}

torch::Tensor MlpLayers::forward(const torch::Tensor& input, bool training) {
  TORCH_CHECK(input.dim() == 2 && input.size(1) == options_.in, "Mlp: expected [N, ",
              options_.in, "] input, got ", input.sizes());
  torch::Tensor x = input;
  for (size_t i = 0; i < linear_.size(); ++i) {
    x = torch::nn::functional::linear(x, norm_[i].normalize(linear_[i]->weight), linear_[i]->bias);
    if (i + 1 == linear_.size()) break;
    switch (options_.activation) {
      case Activation::kLeakyRelu: x = torch::leaky_relu(x, options_.leaky_slope); break;
      case Activation::kRelu: x = torch::relu(x); break;
      case Activation::kTanh: x = torch::tanh(x); break;
    }
    if (options_.dropout > 0) x = uniform_dropout(x, options_.dropout, training);
  }
  switch (options_.output) {
    case MlpOutput::kSigmoid: return torch::sigmoid(x);
    case MlpOutput::kTanh: return torch::tanh(x);
    case MlpOutput::kNone: break;
  }
  return x;
}

int64_t mlp_parameter_count(const std::vector<int64_t>& hidden, int64_t in, int64_t out) {
  int64_t count = 0, width = in;  // widths <= 1e6 and <= 100 layers: no overflow
  for (int64_t h : hidden) count += (width + 1) * h, width = h;
  return count + (width + 1) * out;
}

}  // namespace gantrain
