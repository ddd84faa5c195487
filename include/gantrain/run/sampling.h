#pragma once
/// The latents `gantrain sample` draws (and what export's tests compare against): how many,
/// which classes, truncated or interpolated, drawn batch by batch in a fixed order so that a
/// million samples take the memory of one batch.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "gantrain/config.h"
#include "gantrain/data/batch.h"

namespace gantrain {

/// What to draw, besides the checkpoint.
struct SamplingOptions {
  int64_t n = 64;                ///< samples in all
  int64_t seed = 0;              ///< the noise stream's seed
  std::vector<int64_t> classes;  ///< conditional: classes to draw, in turn; empty = every class
  int64_t per_class = 0;         ///< conditional: > 0 = runs of this many of one class (grid rows)
  double truncation = 0;         ///< > 0: gaussian noise values beyond +-truncation are redrawn
  int64_t interpolate = 0;       ///< > 0: rows of this many steps between two random latents
};

/// Classes for `n` samples of a conditional generator, in runs of `run` samples of one class
/// cycling through the `classes` (label i = (i / run) % classes): run 1 balances an
/// evaluation; run = a grid's row length gives one row per class. [n] int64 on `device`.
torch::Tensor cycled_labels(int64_t n, int64_t classes, int64_t run,
                            torch::Device device = torch::kCPU);

/// Checks `options` against a generator of `latent_dim` and `num_classes` (0: unconditional)
/// with noise `noise`; throws ConfigError naming the flag (--class, --classes, --per-class,
/// --truncation, --interpolate) that does not fit.
void check_sampling(const SamplingOptions& options, NoiseKind noise, int64_t num_classes);

/// The samples' classes in order: [n] int64 (undefined for an unconditional generator).
/// per_class k: classes in turn, k of each; otherwise classes in turn one by one (every class
/// equally often); interpolation rows keep one class each.
torch::Tensor sampling_labels(const SamplingOptions& options, int64_t num_classes);

/// Draws the latents of a sampling request in order. Without truncation or interpolation the
/// noise is the stream fixed_noise() draws for (n, seed): the same numbers whatever the batch.
class LatentStream {
 public:
  LatentStream(const ModelConfig& model, int64_t num_classes, SamplingOptions options,
               torch::Device device);
  /// The next min(`count`, remaining()) latents; with interpolation, whole rows (count is
  /// rounded down to a multiple of the row, at least one row).
  Latents next(int64_t count);
  int64_t remaining() const { return options_.n - drawn_; }

 private:
  torch::Tensor draw_noise(int64_t rows);

  ModelConfig model_;
  SamplingOptions options_;
  torch::Device device_;
  at::Generator generator_;
  torch::Tensor labels_;  // [n] on the CPU, or undefined
  int64_t drawn_ = 0;
};

/// Spherical interpolation (Shoemake 1985; White 2016 for GAN latents) between the rows of
/// `from` and `to` [R, D] at `steps` points t in [0, 1]: [R * steps, D], row by row.
torch::Tensor slerp_rows(const torch::Tensor& from, const torch::Tensor& to, int64_t steps);

}  // namespace gantrain
