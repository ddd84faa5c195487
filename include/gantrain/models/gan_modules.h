#pragma once
/// The two module types every model provides (DESIGN.md section 11): the trainer, checkpoints,
/// `sample` and `eval` see these, never a concrete architecture.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gantrain/choices.h"
#include "gantrain/data/batch.h"

namespace gantrain {

/// Noise [N, latent_dim] (with the classes asked for, when conditional) -> samples
/// [N, features] (flat, whatever the architecture's layout).
class GeneratorImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const Latents& latents) = 0;
  /// Classes a conditional generator draws, 0 when unconditional (labels are then ignored).
  virtual int64_t num_classes() const = 0;
};

/// Samples [N, features] (with their labels, when conditional) -> logits [N, 1] (unbounded
/// scores; the loss gives them meaning).
class DiscriminatorImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const Batch& batch) = 0;
  /// True when a sample's logit depends on the rest of its batch (batch norm while training):
  /// the trainer then passes real and generated samples separately, as G's update sees them.
  virtual bool mixes_batch() const { return false; }
};

using Generator = std::shared_ptr<GeneratorImpl>;
using Discriminator = std::shared_ptr<DiscriminatorImpl>;

/// Loads `model`'s parameters and buffers from `archive`; throws c10::Error naming the tensor
/// when one has another shape or type than the model (torch's own load would silently take it).
void load_parameters(torch::nn::Module& model, torch::serialize::InputArchive& archive);

/// Draws [n, latent_dim] noise of kind bits/gaussian/uniform on `device`; `generator` may be
/// undefined (the device's default generator is used then).
torch::Tensor sample_noise(NoiseKind kind, int64_t n, int64_t latent_dim,
                           torch::Device device, c10::optional<at::Generator> generator = {});

/// Dropout (Srivastava et al. 2014) of probability `p` while `training`: each element kept with
/// probability 1 - p and scaled by 1 / (1 - p). On the CPU the mask comes from uniform draws:
/// LibTorch's CPU bernoulli_, which torch::dropout uses, is 3.6x slower (docs/performance.md).
torch::Tensor uniform_dropout(const torch::Tensor& x, double p, bool training);

/// Refills the float tensor `noise` in place with the same draw sample_noise would make.
void fill_noise(NoiseKind kind, torch::Tensor& noise,
                c10::optional<at::Generator> generator = {});

/// `generator`'s samples for `latents`, in eval mode and without gradients; its mode is restored.
torch::Tensor generate_samples(GeneratorImpl& generator, const Latents& latents);

/// The class labels a conditional module was given, checked: [N] int64 (their range is checked
/// by the embedding lookups); throws c10::Error otherwise (`who` names the module).
void check_labels(const torch::Tensor& labels, int64_t rows, const char* who);

/// A deep copy of `source`'s parameters and buffers into `target`, a module of the same shape
/// (the generator EMA starts as the generator).
void copy_state(torch::nn::Module& target, const torch::nn::Module& source);

}  // namespace gantrain
