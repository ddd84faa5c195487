#include "gantrain/run/sampling.h"

#include <cmath>

#include "gantrain/error.h"
#include "gantrain/models/gan_modules.h"

namespace gantrain {
namespace {

// The classes drawn in turn: those asked for, or every one.
std::vector<int64_t> class_cycle(const SamplingOptions& o, int64_t num_classes) {
  if (!o.classes.empty()) return o.classes;
  std::vector<int64_t> all(static_cast<size_t>(num_classes));
  for (int64_t k = 0; k < num_classes; ++k) all[k] = k;
  return all;
}

// Standard normal values truncated to [-t, t], by the inverse of the normal CDF on uniform draws:
// the distribution redrawing out-of-range values gives, without a loop.
void fill_truncated_normal(torch::Tensor& z, double t, at::Generator& generator) {
  const double low = 0.5 * std::erfc(t / std::sqrt(2.0));  // Phi(-t)
  z.uniform_(low, 1.0 - low, generator);
  z.mul_(2).sub_(1).erfinv_().mul_(std::sqrt(2.0));
}

}  // namespace

torch::Tensor cycled_labels(int64_t n, int64_t classes, int64_t run, torch::Device device) {
  TORCH_CHECK(classes > 0 && run > 0, "cycled_labels: classes and run must be positive");
  return torch::arange(n, torch::kLong).div(run, "floor").remainder(classes).to(device);
}

void check_sampling(const SamplingOptions& o, NoiseKind noise, int64_t num_classes) {
  if (num_classes == 0 && (!o.classes.empty() || o.per_class > 0))
    throw ConfigError(std::string(o.per_class > 0 ? "--per-class" : "--class/--classes") +
                      ": this generator is not class-conditional (its run had model.conditional "
                      "= false)");
  for (int64_t k : o.classes)
    if (k < 0 || k >= num_classes)
      throw ConfigError("--class " + std::to_string(k) + ": the generator draws classes 0 to " +
                        std::to_string(num_classes - 1));
  if (o.truncation > 0 && noise != NoiseKind::kGaussian)
    throw ConfigError("--truncation applies to gaussian noise; this generator's noise is " +
                      choice_name(noise));
  if (o.interpolate > 0 && noise == NoiseKind::kBits)
    throw ConfigError("--interpolate needs continuous noise; this generator's noise is bits");
  if (o.interpolate > 0 && o.n % o.interpolate != 0)
    throw ConfigError("--interpolate: --n " + std::to_string(o.n) +
                      " is not a whole number of rows of " + std::to_string(o.interpolate));
}

torch::Tensor sampling_labels(const SamplingOptions& o, int64_t num_classes) {
  if (num_classes == 0) return {};
  const std::vector<int64_t> cycle = class_cycle(o, num_classes);
  const int64_t run = o.interpolate > 0 ? o.interpolate : std::max<int64_t>(o.per_class, 1);
  return torch::tensor(cycle, torch::kLong)
      .index_select(0, cycled_labels(o.n, static_cast<int64_t>(cycle.size()), run));
}

LatentStream::LatentStream(const ModelConfig& model, int64_t num_classes, SamplingOptions options,
                           torch::Device device)
    : model_(model),
      options_(std::move(options)),
      device_(device),
      generator_(at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(options_.seed))),
      labels_(sampling_labels(options_, num_classes)) {
  check_sampling(options_, model_.noise, num_classes);
}

torch::Tensor LatentStream::draw_noise(int64_t rows) {
  // Drawn on the CPU from the request's own generator, as fixed_noise() draws.
  torch::Tensor z = torch::empty({rows, model_.latent_dim});
  if (options_.truncation > 0)
    fill_truncated_normal(z, options_.truncation, generator_);
  else
    fill_noise(model_.noise, z, generator_);
  return z;
}

Latents LatentStream::next(int64_t count) {
  count = std::min(count, remaining());
  TORCH_CHECK(count > 0, "LatentStream: nothing left to draw");
  torch::Tensor noise;
  if (options_.interpolate > 0) {
    const int64_t steps = options_.interpolate;
    const int64_t rows = std::max<int64_t>(count / steps, 1);
    torch::Tensor ends = draw_noise(2 * rows).view({rows, 2, model_.latent_dim});
    noise = slerp_rows(ends.select(1, 0), ends.select(1, 1), steps);
    count = rows * steps;
  } else {
    noise = draw_noise(count);
  }
  Latents out{noise.to(device_)};
  if (labels_.defined()) out.labels = labels_.narrow(0, drawn_, count).to(device_);
  drawn_ += count;
  return out;
}

torch::Tensor slerp_rows(const torch::Tensor& from, const torch::Tensor& to, int64_t steps) {
  TORCH_CHECK(from.dim() == 2 && from.sizes() == to.sizes() && steps >= 2,
              "slerp_rows: expected two [R, D] tensors and 2 or more steps");
  torch::Tensor t = torch::linspace(0, 1, steps, from.options()).view({1, steps, 1});
  torch::Tensor a = from.unsqueeze(1), b = to.unsqueeze(1);  // [R, 1, D]
  torch::Tensor cosine = torch::cosine_similarity(from, to, 1).clamp(-1, 1).view({-1, 1, 1});
  torch::Tensor omega = torch::acos(cosine);
  torch::Tensor sine = torch::sin(omega);
  // Nearly parallel ends: the arc is a line (and sin(omega) would divide by ~0).
  torch::Tensor parallel = sine.abs() < 1e-6;
  torch::Tensor safe = torch::where(parallel, torch::ones_like(sine), sine);
  torch::Tensor wa = torch::where(parallel, 1 - t, torch::sin((1 - t) * omega) / safe);
  torch::Tensor wb = torch::where(parallel, t, torch::sin(t * omega) / safe);
  return (wa * a + wb * b).reshape({-1, from.size(1)});
}

}  // namespace gantrain
