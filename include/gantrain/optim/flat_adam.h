#pragma once
/// Adam over flat buffers: one network's parameters, gradients and both moments each live in one
/// contiguous float tensor, and a step is one fused pass over them (docs/performance.md).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gantrain {

/// Adam's hyperparameters (Kingma & Ba 2015), named as torch::optim::AdamOptions names them.
struct AdamHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

/// Restores `optimizer`'s per-parameter state (step, both moments) from an archive that
/// torch::optim::Adam::save wrote under LibTorch 1.13 or 2.x; keeps its options. Throws
/// c10::Error if the archive's parameters do not match the optimizer's in count and shape, or a
/// saved state belongs to none of them.
void load_adam_state(torch::serialize::InputArchive& archive, torch::optim::Adam& optimizer);

/// One network's Adam. Construction moves the parameters into one flat buffer: afterwards each
/// parameter is a view into it and its .grad() a view into the flat gradient buffer, where
/// backward accumulates. The gradients start zero and step() leaves them zero, so backward,
/// step, backward, step... needs no zero_grad(); an update that is not applied needs one.
/// Checkpoints keep torch::optim::Adam's layout, so runs saved before this optimizer existed
/// resume.
class FlatAdam {
 public:
  /// `params`: float tensors on one device, in a fixed order. `spare` floats follow the
  /// gradients in the gradient buffer (a data-parallel all-reduce carries its statistics there).
  FlatAdam(std::vector<torch::Tensor> params, AdamHyper hyper, int64_t spare = 0);

  /// Zeroes every gradient (one fill of the gradient buffer).
  void zero_grad();
  /// One Adam update of every parameter from its gradient, then zeroes the gradients: one fused
  /// pass (optim/adam_kernel.h), or LibTorch 2.x's fused kernel where that is faster.
  void step();
  /// Makes the parameters views into the flat buffer again after something gave them storage
  /// of their own (Module::load does), keeping their values.
  void rebind();

  /// The parameters, in construction order.
  const std::vector<torch::Tensor>& params() const { return params_; }
  /// [numel() + spare] floats: every parameter's gradient in order, then the spare slots.
  const torch::Tensor& gradient_buffer() const { return gradients_; }
  /// Elements of all parameters together.
  int64_t numel() const { return values_.numel(); }
  /// Updates done (Adam's t).
  int64_t steps() const { return step_; }
  const AdamHyper& hyper() const { return hyper_; }
  /// Parameter i's first and second moments (views into the flat state).
  torch::Tensor exp_avg(size_t i) const { return slice(exp_avg_, i); }
  torch::Tensor exp_avg_sq(size_t i) const { return slice(exp_avg_sq_, i); }

  /// Writes the state as torch::optim::Adam::save does (each moment per parameter).
  void save(torch::serialize::OutputArchive& archive) const;
  /// Reads what save() or torch::optim::Adam::save (LibTorch 1.13 or 2.x) wrote; keeps this
  /// optimizer's hyperparameters. Throws c10::Error on a state of other shapes or parameters at
  /// different steps.
  void load(torch::serialize::InputArchive& archive);

 private:
  torch::Tensor slice(const torch::Tensor& flat, size_t i) const;
  // A torch::optim::Adam over the same parameters: the checkpoint layout's reader and writer.
  torch::optim::Adam libtorch_adam() const;

  std::vector<torch::Tensor> params_;
  std::vector<int64_t> offsets_;  // params_[i] starts at offsets_[i] in every flat buffer
  AdamHyper hyper_;
  torch::Tensor values_, gradients_, exp_avg_, exp_avg_sq_;
  torch::Tensor gradient_view_;  // the gradients without the spare slots
  torch::Tensor step_count_;     // t as a float tensor, for LibTorch's fused kernel
  int64_t step_ = 0;
};

}  // namespace gantrain
