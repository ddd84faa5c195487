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

torch::Tensor MlpLayers::hidden(const torch::Tensor& input, bool training) {
  TORCH_CHECK(input.dim() == 2 && input.size(1) == options_.in, "Mlp: expected [N, ",
              options_.in, "] input, got ", input.sizes());
  torch::Tensor x = input;
  for (size_t i = 0; i + 1 < linear_.size(); ++i) {
    x = torch::nn::functional::linear(x, norm_[i].normalize(linear_[i]->weight), linear_[i]->bias);
    switch (options_.activation) {
      case Activation::kLeakyRelu: x = torch::leaky_relu(x, options_.leaky_slope); break;
      case Activation::kRelu: x = torch::relu(x); break;
      case Activation::kTanh: x = torch::tanh(x); break;
    }
    if (options_.dropout > 0) x = uniform_dropout(x, options_.dropout, training);
  }
  return x;
}

torch::Tensor MlpLayers::head(const torch::Tensor& h) {
  const size_t last = linear_.size() - 1;
  torch::Tensor x =
      torch::nn::functional::linear(h, norm_[last].normalize(linear_[last]->weight), linear_[last]->bias);
  switch (options_.output) {
    case MlpOutput::kSigmoid: return torch::sigmoid(x);
    case MlpOutput::kTanh: return torch::tanh(x);
    case MlpOutput::kNone: break;
  }
  return x;
}

int64_t MlpLayers::hidden_width() const {
  return options_.hidden.empty() ? options_.in : options_.hidden.back();
}

namespace {

// The layers' options: a conditional generator's first layer also takes the class embedding.
MlpOptions layer_options(MlpOptions options) {
  options.in += options.num_classes;
  return options;
}

}  // namespace

MlpGeneratorImpl::MlpGeneratorImpl(MlpOptions options)
    : options_(options), layers_(*this, layer_options(options)) {
  // A learned embedding as wide as there are classes, concatenated after the noise (the
  // conditional MLP of Mirza & Osindero 2014, with a learned code in place of the one-hot).
  if (options_.num_classes > 0)
    embed_ = register_module("embed", torch::nn::Embedding(options_.num_classes, options_.num_classes));
}

torch::Tensor MlpGeneratorImpl::forward(const Latents& latents) {
  if (!embed_) return layers_.forward(latents.noise, is_training());
  check_labels(latents.labels, latents.noise.size(0), "MlpGenerator");
  return layers_.forward(torch::cat({latents.noise, embed_->forward(latents.labels)}, 1),
                         is_training());
}

MlpDiscriminatorImpl::MlpDiscriminatorImpl(MlpOptions options) : layers_(*this, options) {
  if (options.num_classes > 0) {
    embed_ = register_module("embed",
                             torch::nn::Embedding(options.num_classes, layers_.hidden_width()));
    // Zero: D starts as the unconditional one and learns each class's direction.
    torch::NoGradGuard no_grad;
    embed_->weight.zero_();
  }
}

torch::Tensor MlpDiscriminatorImpl::forward(const Batch& batch) {
  torch::Tensor h = layers_.hidden(batch.samples, is_training());
  torch::Tensor logits = layers_.head(h);
  if (!embed_) return logits;
  // Projection (Miyato & Koyama 2018): + <embed[y], h>.
  check_labels(batch.labels, h.size(0), "MlpDiscriminator");
  return logits + (embed_->forward(batch.labels) * h).sum(1, /*keepdim=*/true);
}

int64_t mlp_parameter_count(const std::vector<int64_t>& hidden, int64_t in, int64_t out) {
  int64_t count = 0, width = in;  // widths <= 1e6 and <= 100 layers: no overflow
  for (int64_t h : hidden) count += (width + 1) * h, width = h;
  return count + (width + 1) * out;
}

}  // namespace gantrain
