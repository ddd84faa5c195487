#include "gantrain/models/dcgan.h"

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
  // [N, z, 1, 1] -> [N, w0, base, base], then one 4x4 stride-2 transposed convolution per stage.
  layers_->push_back("up0", ConvTranspose2d(ConvTranspose2dOptions(options_.latent_dim, w[0], base)
                                                .bias(false)));
  layers_->push_back("bn0", BatchNorm2d(w[0]));
  layers_->push_back(ReLU());
  for (size_t i = 1; i <= w.size(); ++i) {
    const bool last = i == w.size();
    const int64_t out = last ? options_.channels : w[i];
    layers_->push_back("up" + std::to_string(i),
                       ConvTranspose2d(ConvTranspose2dOptions(w[i - 1], out, 4)
                                           .stride(2).padding(1).bias(last)));
    if (last) break;
    layers_->push_back("bn" + std::to_string(i), BatchNorm2d(out));
    layers_->push_back(ReLU());
  }
  layers_->push_back(Tanh());
  register_module("layers", layers_);
  dcgan_init(*this);
}

torch::Tensor DcganGeneratorImpl::forward(torch::Tensor noise) {
  TORCH_CHECK(noise.dim() == 2 && noise.size(1) == options_.latent_dim,
              "DcganGenerator: expected [N, ", options_.latent_dim, "] noise, got ", noise.sizes());
  return layers_->forward(noise.view({noise.size(0), options_.latent_dim, 1, 1}))
      .view({noise.size(0), -1});
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
  dcgan_init(*this);
}

torch::Tensor DcganDiscriminatorImpl::forward(torch::Tensor samples) {
  const int64_t pixels = options_.channels * options_.side * options_.side;
  TORCH_CHECK(samples.dim() == 2 && samples.size(1) == pixels, "DcganDiscriminator: expected [N, ",
              pixels, "] images, got ", samples.sizes());
  torch::Tensor x = samples.view({samples.size(0), options_.channels, options_.side, options_.side});
  for (size_t i = 0; i < conv_.size(); ++i) {
    const bool last = i + 1 == conv_.size();
    x = torch::conv2d(x, spectral_[i].normalize(conv_[i]->weight), conv_[i]->bias,
                      /*stride=*/last ? 1 : 2, /*padding=*/last ? 0 : 1);
    if (last) break;
    if (i > 0 && !norm_.empty()) x = norm_[i - 1]->forward(x);
    x = torch::leaky_relu(x, options_.leaky_slope);
    if (options_.dropout > 0) x = uniform_dropout(x, options_.dropout, is_training());
  }
  return x.view({samples.size(0), 1});
}

}  // namespace gantrain
