#include "gantrain/models/gan_modules.h"

namespace gantrain {

void load_parameters(torch::nn::Module& model, torch::serialize::InputArchive& archive) {
  struct Shape {
    std::string name;
    std::vector<int64_t> sizes;
    torch::ScalarType type;
  };
  std::vector<Shape> expected;
  for (const auto& p : model.named_parameters())
    expected.push_back({p.key(), p.value().sizes().vec(), p.value().scalar_type()});
  for (const auto& b : model.named_buffers())
    expected.push_back({b.key(), b.value().sizes().vec(), b.value().scalar_type()});
  model.load(archive);
  auto parameters = model.named_parameters();
  auto buffers = model.named_buffers();
  for (const auto& want : expected) {
    const torch::Tensor* found = parameters.find(want.name);
    const torch::Tensor loaded = found ? *found : buffers[want.name];
    TORCH_CHECK(loaded.sizes() == want.sizes && loaded.scalar_type() == want.type, want.name, " is ",
                loaded.sizes(), " ", loaded.scalar_type(), " in the checkpoint, but its config makes ",
                torch::IntArrayRef(want.sizes), " ", want.type);
  }
}

torch::Tensor uniform_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0) return x;
  if (!x.device().is_cpu()) return torch::dropout(x, p, training);
  // u >= p has probability 1 - p for u uniform in [0, 1); the mask never needs a gradient.
  torch::Tensor keep = torch::empty_like(x, torch::MemoryFormat::Contiguous).uniform_();
  keep.ge_(p).mul_(1.0 / (1.0 - p));
  return x * keep;
}

torch::Tensor sample_noise(NoiseKind kind, int64_t n, int64_t latent_dim,
                           torch::Device device, c10::optional<at::Generator> generator) {
  torch::Tensor noise = torch::empty({n, latent_dim}, torch::TensorOptions().device(device));
  fill_noise(kind, noise, std::move(generator));
  return noise;
}

// The in-place forms of randint, randn and rand: the same draws from the generator.
void fill_noise(NoiseKind kind, torch::Tensor& noise, c10::optional<at::Generator> generator) {
  switch (kind) {
    case NoiseKind::kBits: noise.random_(0, 2, generator); break;
    case NoiseKind::kGaussian: noise.normal_(0, 1, generator); break;
    case NoiseKind::kUniform: noise.uniform_(0, 1, generator).mul_(2).sub_(1); break;
  }
}

torch::Tensor generate_samples(GeneratorImpl& generator, const Latents& latents) {
  torch::NoGradGuard no_grad;
  const bool was_training = generator.is_training();
  generator.eval();
  torch::Tensor samples = generator.forward(latents);
  generator.train(was_training);
  return samples;
}

void check_labels(const torch::Tensor& labels, int64_t rows, const char* who) {
  TORCH_CHECK(labels.defined(), who, ": a class-conditional model needs the class of each sample");
  TORCH_CHECK(labels.dim() == 1 && labels.size(0) == rows && labels.scalar_type() == torch::kLong,
              who, ": expected [", rows, "] int64 labels, got ", labels.sizes(), " ",
              labels.scalar_type());
}

void copy_state(torch::nn::Module& target, const torch::nn::Module& source) {
  torch::NoGradGuard no_grad;
  auto copy = [](const auto& to, const auto& from) {
    TORCH_CHECK(to.size() == from.size(), "copy_state: the modules differ in shape");
    for (size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
  };
  copy(target.parameters(), source.parameters());
  copy(target.buffers(), source.buffers());
}

}  // namespace gantrain
