#pragma once
/// What flows between data, models and metrics (DESIGN.md section 12): samples with optional
/// class labels, and noise with the classes a conditional generator is asked for.
#include <torch/torch.h>

namespace gantrain {

/// Samples [N, features] and their class labels [N] (int64; undefined where there are none):
/// a batch of real data, or generated samples with the classes they were drawn for.
struct Batch {
  torch::Tensor samples;
  torch::Tensor labels;
  Batch() = default;
  Batch(torch::Tensor rows, torch::Tensor classes = {})  // NOLINT: a tensor is an unlabelled batch
      : samples(std::move(rows)), labels(std::move(classes)) {}
};

/// A generator's input: noise [N, latent_dim] and, for a class-conditional generator, the class
/// of each sample [N] (int64 in [0, classes); undefined for an unconditional one).
struct Latents {
  torch::Tensor noise;
  torch::Tensor labels;
  Latents() = default;
  Latents(torch::Tensor z, torch::Tensor classes = {})  // NOLINT: noise alone is unconditional
      : noise(std::move(z)), labels(std::move(classes)) {}
  int64_t size() const { return noise.size(0); }
  /// Rows [start, start + length) of both.
  Latents narrow(int64_t start, int64_t length) const {
    return {noise.narrow(0, start, length),
            labels.defined() ? labels.narrow(0, start, length) : labels};
  }
  Latents to(torch::Device device) const {
    return {noise.to(device), labels.defined() ? labels.to(device) : labels};
  }
};

}  // namespace gantrain
