#include "gantrain/models/gan_modules.h"

#include "gantrain/error.h"

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

torch::Tensor sample_noise(const std::string& kind, int64_t n, int64_t latent_dim,
                           torch::Device device, c10::optional<at::Generator> generator) {
  auto options = torch::TensorOptions().device(device).dtype(torch::kFloat);
  if (kind == "bits") return at::randint(0, 2, {n, latent_dim}, generator, options);
  if (kind == "gaussian") return at::randn({n, latent_dim}, generator, options);
  if (kind == "uniform") return at::rand({n, latent_dim}, generator, options) * 2 - 1;
  throw ConfigError("model.noise = '" + kind + "': expected bits, gaussian or uniform");
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
