#include "gantrain/models/mlp.h"

#include "gantrain/error.h"

namespace gantrain {

MlpImpl::MlpImpl(MlpOptions options) : options_(std::move(options)) {
  TORCH_CHECK(options_.in > 0 && options_.out > 0, "Mlp: in and out must be positive");
  int64_t width = options_.in;
  int index = 0;
  for (int64_t hidden : options_.hidden) {
    layers_->push_back("fc" + std::to_string(index++), torch::nn::Linear(width, hidden));
    if (options_.activation == "leaky_relu") {
      layers_->push_back(torch::nn::LeakyReLU(
          torch::nn::LeakyReLUOptions().negative_slope(options_.leaky_slope)));
    } else if (options_.activation == "relu") {
      layers_->push_back(torch::nn::ReLU());
    } else {
      layers_->push_back(torch::nn::Tanh());
    }
    if (options_.dropout > 0) layers_->push_back(torch::nn::Dropout(options_.dropout));
    width = hidden;
  }
  layers_->push_back("fc" + std::to_string(index), torch::nn::Linear(width, options_.out));
  if (options_.output == "sigmoid") layers_->push_back(torch::nn::Sigmoid());
  if (options_.output == "tanh") layers_->push_back(torch::nn::Tanh());
  register_module("layers", layers_);
}

torch::Tensor MlpImpl::forward(torch::Tensor x) {
  TORCH_CHECK(x.dim() == 2 && x.size(1) == options_.in, "Mlp: expected [N, ", options_.in,
              "] input, got ", x.sizes());
  return layers_->forward(x);
}

namespace {

// Far beyond these MLPs (MNIST's is 1.5M): a typo of a few digits gives one clear line
// instead of an allocation that fails or, worse, swaps the machine to a halt.
constexpr int64_t kMaxParameters = 500'000'000;

void check_size(const char* key, const std::vector<int64_t>& hidden, int64_t in, int64_t out) {
  int64_t count = 0, width = in;  // widths <= 1e6 and <= 100 layers: no overflow
  for (int64_t h : hidden) count += (width + 1) * h, width = h;
  count += (width + 1) * out;
  if (count > kMaxParameters) {
    std::string list;
    for (int64_t h : hidden) list += (list.empty() ? "" : ", ") + std::to_string(h);
    throw ConfigError(std::string(key) + " = [" + list + "]: the network would have " +
                      std::to_string(count) + " parameters, expected at most " +
                      std::to_string(kMaxParameters));
  }
}

}  // namespace

Mlp make_generator(const ModelConfig& model, int64_t data_dim, const std::string& output) {
  check_size("model.g_hidden", model.g_hidden, model.latent_dim, data_dim);
  MlpOptions o;
  o.in = model.latent_dim;
  o.hidden = model.g_hidden;
  o.out = data_dim;
  o.activation = model.activation;
  o.leaky_slope = model.leaky_slope;
  o.output = output;
  return Mlp(o);
}

Mlp make_discriminator(const ModelConfig& model, int64_t data_dim) {
  check_size("model.d_hidden", model.d_hidden, data_dim, 1);
  MlpOptions o;
  o.in = data_dim;
  o.hidden = model.d_hidden;
  o.out = 1;
  o.activation = model.activation;
  o.leaky_slope = model.leaky_slope;
  o.dropout = model.dropout;
  return Mlp(o);
}

void load_parameters(Mlp& model, torch::serialize::InputArchive& archive) {
  struct Shape {
    std::string name;
    std::vector<int64_t> sizes;
    torch::ScalarType type;
  };
  std::vector<Shape> expected;
  for (const auto& p : model->named_parameters())
    expected.push_back({p.key(), p.value().sizes().vec(), p.value().scalar_type()});
  model->load(archive);
  for (const auto& want : expected) {
    const torch::Tensor loaded = model->named_parameters()[want.name];  // a copy: the dict is a temporary
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

}  // namespace gantrain
