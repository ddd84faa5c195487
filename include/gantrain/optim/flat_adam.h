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

/// Adam's state: the update count and, per parameter in order, both moments.
struct AdamState {
  int64_t step = 0;                     ///< updates done (Adam's t); 0: the moments are empty
  std::vector<torch::Tensor> exp_avg;     ///< first moments, shaped as the parameters
  std::vector<torch::Tensor> exp_avg_sq;  ///< second moments
};

/// One network's Adam. Construction moves the parameters into one flat buffer: afterwards each
/// parameter is a view into it and its .grad() a view into the flat gradient buffer, where
/// backward accumulates. The gradients start zero and step() leaves them zero, so backward,
/// step, backward, step... needs no zero_grad(); an update that is not applied needs one.
/// Checkpoints hold its state in torch::optim::Adam's layout (io/adam_archive.h).
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

  /// The state, the moments as views into the flat buffers (empty before the first update).
  AdamState state() const;
  /// Continues from `state` (step 0: from the start); throws c10::Error when its moments do not
  /// match the parameters in count and shape.
  void restore(const AdamState& state);

 private:
  torch::Tensor slice(const torch::Tensor& flat, size_t i) const;

  std::vector<torch::Tensor> params_;
  std::vector<int64_t> offsets_;  // params_[i] starts at offsets_[i] in every flat buffer
  AdamHyper hyper_;
  torch::Tensor values_, gradients_, exp_avg_, exp_avg_sq_;
  torch::Tensor gradient_view_;  // the gradients without the spare slots
  torch::Tensor step_count_;     // t as a float tensor, for LibTorch's fused kernel
  int64_t step_ = 0;
};

}  // namespace gantrain
