#include "gantrain/model_factory.h"

#include "gantrain/error.h"
#include "gantrain/models/dcgan.h"
#include "gantrain/models/mlp.h"

namespace gantrain {
namespace {

// Far beyond these models (MNIST's MLP is 1.5M): a typo of a few digits gives one clear line
// instead of an allocation that fails or, worse, swaps the machine to a halt.
constexpr int64_t kMaxParameters = 500'000'000;

void check_count(const std::string& key, const std::vector<int64_t>& widths, double count) {
  if (count > static_cast<double>(kMaxParameters))
    throw ConfigError(key + " = " + format_int_list(widths) + ": the network would have " +
                      std::to_string(static_cast<int64_t>(count)) + " parameters, expected at most " +
                      std::to_string(kMaxParameters));
}

// The stage counts that fit `side`, as "1 or 2" (28x28) or "1 to 4" (64x64).
std::string fitting_stages(int64_t side) {
  size_t most = 0;
  while (dcgan_base_side(side, most + 1) > 0) ++most;
  if (most <= 1) return most == 1 ? "1" : "no";
  return "1 " + std::string(most == 2 ? "or " : "to ") + std::to_string(most);
}

// The classes a conditional model is built for (model.conditional), else 0.
int64_t conditional_classes(const Config& config, const SampleShape& shape) {
  if (!config.model.conditional) return 0;
  if (shape.classes < 2)
    throw ConfigError("model.conditional = true needs labelled data with 2 or more classes; task " +
                      config.task + (shape.classes == 1 ? " has 1 class" : " has no labels") +
                      (config.task == "images" ? " (each first-level sub-folder of data.dir is a class)"
                                               : ""));
  return shape.classes;
}

// A DCGAN's options, once model.arch = dcgan is known to fit the task's samples.
DcganOptions dcgan_options(const Config& config, const SampleShape& shape) {
  if (shape.channels == 0)
    throw ConfigError("model.arch = dcgan needs image samples; task " + config.task +
                      " has vectors of " + std::to_string(shape.features) + " numbers (use mlp)");
  const ModelConfig& m = config.model;
  for (const auto& [key, widths] : {std::pair{"model.g_channels", &m.g_channels},
                                    std::pair{"model.d_channels", &m.d_channels}}) {
    if (dcgan_base_side(shape.side, widths->size()) == 0)
      throw ConfigError(std::string(key) + " = " + format_int_list(*widths) + ": each width is one 2x " +
                        "resolution stage, and " + std::to_string(widths->size()) +
                        " stages do not fit " + std::to_string(shape.side) + "x" +
                        std::to_string(shape.side) + " images (expected " +
                        fitting_stages(shape.side) + " widths)");
  }
  DcganOptions o;
  o.latent_dim = m.latent_dim;
  o.channels = shape.channels;
  o.side = shape.side;
  o.g_widths = m.g_channels;
  o.d_widths = m.d_channels;
  o.leaky_slope = m.leaky_slope;
  o.spectral_norm = m.spectral_norm;
  o.dropout = m.dropout;
  o.num_classes = conditional_classes(config, shape);
  // Weights of the transposed and strided convolutions (4x4, or base x base at the ends).
  const double g_base = static_cast<double>(dcgan_base_side(shape.side, o.g_widths.size()));
  const double d_base = static_cast<double>(dcgan_base_side(shape.side, o.d_widths.size()));
  double g = static_cast<double>(o.latent_dim) * o.g_widths.front() * g_base * g_base;
  for (size_t i = 1; i < o.g_widths.size(); ++i) g += 16.0 * o.g_widths[i - 1] * o.g_widths[i];
  check_count("model.g_channels", o.g_widths, g + 16.0 * o.g_widths.back() * o.channels);
  double d = 16.0 * o.channels * o.d_widths.front() + d_base * d_base * o.d_widths.back();
  for (size_t i = 1; i < o.d_widths.size(); ++i) d += 16.0 * o.d_widths[i - 1] * o.d_widths[i];
  check_count("model.d_channels", o.d_widths, d);
  return o;
}

MlpOptions mlp_options(const Config& config, const SampleShape& shape, const std::string& key,
                       const std::vector<int64_t>& hidden, int64_t in, int64_t out) {
  check_count(key, hidden, static_cast<double>(mlp_parameter_count(hidden, in, out)));
  MlpOptions o;
  o.in = in;
  o.hidden = hidden;
  o.out = out;
  o.activation = config.model.activation;
  o.leaky_slope = config.model.leaky_slope;
  o.num_classes = conditional_classes(config, shape);
  return o;
}

}  // namespace

Generator make_generator(const Config& config, const SampleShape& shape, MlpOutput mlp_output) {
  if (config.model.arch == ModelArch::kDcgan)
    return std::make_shared<DcganGeneratorImpl>(dcgan_options(config, shape));
  MlpOptions o = mlp_options(config, shape, "model.g_hidden", config.model.g_hidden,
                             config.model.latent_dim, shape.features);
  o.output = mlp_output;
  return std::make_shared<MlpGeneratorImpl>(o);
}

Discriminator make_discriminator(const Config& config, const SampleShape& shape) {
  if (config.model.arch == ModelArch::kDcgan)
    return std::make_shared<DcganDiscriminatorImpl>(dcgan_options(config, shape));
  MlpOptions o = mlp_options(config, shape, "model.d_hidden", config.model.d_hidden, shape.features, 1);
  o.dropout = config.model.dropout;
  o.spectral_norm = config.model.spectral_norm;
  return std::make_shared<MlpDiscriminatorImpl>(o);
}

bool runs_in_onednn(const Config& config) {
  return config.model.arch == ModelArch::kDcgan || config.train.precision == Precision::kBf16;
}

}  // namespace gantrain
