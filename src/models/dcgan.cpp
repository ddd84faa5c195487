#include "gantrain/models/dcgan.h"

#include "gantrain/models/conv_transpose.h"

namespace gantrain {
namespace {

// N(0, 0.02) for every convolution, N(1, 0.02) for batch-norm scales, zero biases (Radford et
// al. 2016, section 4).
void dcgan_init(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters()) {
    const std::string& name = p.key();
    const bool batch_norm = name.find("bn") != std::string::npos;
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
      p.value().zero_();
    else if (batch_norm)
      p.value().normal_(1.0, 0.02);
    else
      p.value().normal_(0.0, 0.02);
  }
}

}  // namespace

int64_t dcgan_base_side(int64_t side, size_t stages) {
  const int64_t scale = int64_t{1} << std::min<size_t>(stages, 20);
  if (stages == 0 || stages > 20 || side % scale != 0 || side / scale < 2) return 0;
  return side / scale;
}

DcganGeneratorImpl::DcganGeneratorImpl(DcganOptions options) : options_(std::move(options)) {
  const auto& w = options_.g_widths;
  const int64_t base = dcgan_base_side(options_.side, w.size());
  TORCH_CHECK(base > 0, "Dcgan: ", w.size(), " stages do not fit ", options_.side, "x",
              options_.side, " images");
  using namespace torch::nn;
  const bool conditional = options_.num_classes > 0;
  // [N, z, 1, 1] -> [N, w0, base, base], then one 4x4 stride-2 transposed convolution per stage.
  Sequential layers;
  for (size_t i = 0; i <= w.size(); ++i) {
    const bool last = i == w.size();
    const int64_t out = last ? options_.channels : w[i];
    auto up = i == 0 ? ConvTranspose2d(ConvTranspose2dOptions(options_.latent_dim, w[0], base).bias(false))
                     : ConvTranspose2d(ConvTranspose2dOptions(w[i - 1], out, 4)
                                           .stride(2).padding(1).bias(last));
    layers->push_back("up" + std::to_string(i), up);
    up_.push_back(up);
    if (last) break;
    // Class-conditional batch norm (de Vries et al. 2017; Miyato & Koyama 2018): the scale and
    // shift come from the class instead of being one pair per channel.
    BatchNorm2d norm(BatchNorm2dOptions(out).affine(!conditional));
    layers->push_back("bn" + std::to_string(i), norm);
    norm_.push_back(norm);
  }
  register_module("layers", layers);
  for (size_t i = 0; conditional && i < w.size(); ++i)
    class_norm_.push_back(register_module("class_bn" + std::to_string(i),
                                          Embedding(options_.num_classes, 2 * w[i])));
  dcgan_init(*this);
  torch::NoGradGuard no_grad;
  for (auto& table : class_norm_) {
    // Gains 1 + N(0, 0.02) and biases 0 for every class: the unconditional net's start.
    const int64_t width = table->weight.size(1) / 2;
    table->weight.narrow(1, 0, width).normal_(0.0, 0.02);
    table->weight.narrow(1, width, width).zero_();
  }
}

torch::Tensor DcganGeneratorImpl::forward(const Latents& latents) {
  const torch::Tensor& noise = latents.noise;
  TORCH_CHECK(noise.dim() == 2 && noise.size(1) == options_.latent_dim,
              "DcganGenerator: expected [N, ", options_.latent_dim, "] noise, got ", noise.sizes());
  const int64_t n = noise.size(0);
  if (!class_norm_.empty()) check_labels(latents.labels, n, "DcganGenerator");
  torch::Tensor x = noise.view({n, options_.latent_dim, 1, 1});
  for (size_t i = 0; i < up_.size(); ++i) {
    // Stride and padding as built: 1 and 0 for the base map, 2 and 1 per stage.
    x = conv_transpose2d(x, up_[i]->weight, up_[i]->bias, /*stride=*/i == 0 ? 1 : 2,
                         /*padding=*/i == 0 ? 0 : 1);
    if (i == norm_.size()) break;
    x = norm_[i]->forward(x);
    if (!class_norm_.empty()) {
      torch::Tensor gain_bias = class_norm_[i]->forward(latents.labels);  // [N, 2 * width]
      const int64_t width = gain_bias.size(1) / 2;
      x = torch::addcmul(gain_bias.narrow(1, width, width).view({n, width, 1, 1}), x,
                         gain_bias.narrow(1, 0, width).view({n, width, 1, 1}) + 1);
    }
    x = torch::relu(x);
  }
  return torch::tanh(x).view({n, -1});
}

DcganDiscriminatorImpl::DcganDiscriminatorImpl(DcganOptions options)
    : options_(std::move(options)) {
  const auto& w = options_.d_widths;
  const int64_t base = dcgan_base_side(options_.side, w.size());
  TORCH_CHECK(base > 0, "Dcgan: ", w.size(), " stages do not fit ", options_.side, "x",
              options_.side, " images");
  using namespace torch::nn;
  // One 4x4 stride-2 convolution per stage, then a base x base one to a single logit. Batch norm
  // after every stage but the first (Radford et al.), unless spectral norm takes its place.
  for (size_t i = 0; i <= w.size(); ++i) {
    const bool last = i == w.size();
    const int64_t in = i == 0 ? options_.channels : w[i - 1];
    // Stride and padding are applied in forward(): 2 and 1 per stage, 1 and 0 for the last.
    Conv2d conv(last ? Conv2dOptions(in, 1, base)
                     : Conv2dOptions(in, w[i], 4).stride(2).padding(1).bias(i == 0 || options_.spectral_norm));
    register_module("conv" + std::to_string(i), conv);
    conv_.push_back(conv);
    spectral_.push_back(options_.spectral_norm ? SpectralNorm(*conv, last ? 1 : w[i])
                                               : SpectralNorm());
    if (!last && i > 0 && !options_.spectral_norm)
      norm_.push_back(register_module("bn" + std::to_string(i), BatchNorm2d(w[i])));
  }
  if (options_.num_classes > 0)
    embed_ = register_module("embed", Embedding(options_.num_classes, w.back() * base * base));
  dcgan_init(*this);
  // Zero: D starts as the unconditional one and learns each class's direction.
  torch::NoGradGuard no_grad;
  if (embed_) embed_->weight.zero_();
}

torch::Tensor DcganDiscriminatorImpl::forward(const Batch& batch) {
  const torch::Tensor& samples = batch.samples;
  const int64_t pixels = options_.channels * options_.side * options_.side;
  TORCH_CHECK(samples.dim() == 2 && samples.size(1) == pixels, "DcganDiscriminator: expected [N, ",
              pixels, "] images, got ", samples.sizes());
  torch::Tensor x = samples.view({samples.size(0), options_.channels, options_.side, options_.side});
  for (size_t i = 0; i < conv_.size(); ++i) {
    const bool last = i + 1 == conv_.size();
    torch::Tensor features = x;
    x = torch::conv2d(x, spectral_[i].normalize(conv_[i]->weight), conv_[i]->bias,
                      /*stride=*/last ? 1 : 2, /*padding=*/last ? 0 : 1);
    if (last) {
      if (!embed_) break;
      // Projection (Miyato & Koyama 2018) on the features the last convolution reads:
      // + <embed[y], h>.
      check_labels(batch.labels, samples.size(0), "DcganDiscriminator");
      torch::Tensor h = features.reshape({samples.size(0), -1});
      x = x.view({samples.size(0), 1}) + (embed_->forward(batch.labels) * h).sum(1, true);
      break;
    }
    if (i > 0 && !norm_.empty()) x = norm_[i - 1]->forward(x);
    x = torch::leaky_relu(x, options_.leaky_slope);
    if (options_.dropout > 0) x = uniform_dropout(x, options_.dropout, is_training());
  }
  return x.view({samples.size(0), 1});
}

}  // namespace gantrain
