#include "gantrain/optim/flat_adam.h"

#include <cmath>

#include "gantrain/optim/adam_kernel.h"
#include "gantrain/torch_compat.h"

namespace gantrain {

FlatAdam::FlatAdam(std::vector<torch::Tensor> params, AdamHyper hyper, int64_t spare)
    : params_(std::move(params)), hyper_(hyper) {
  TORCH_CHECK(!params_.empty(), "FlatAdam: no parameters");
  int64_t total = 0;
  for (const auto& p : params_) {
    TORCH_CHECK(p.scalar_type() == torch::kFloat && p.device() == params_.front().device(),
                "FlatAdam: the parameters must be float tensors on one device");
    offsets_.push_back(total);
    total += p.numel();
  }
  const auto options = params_.front().options().requires_grad(false);
  values_ = torch::empty({total}, options);
  gradients_ = torch::zeros({total + spare}, options);
  gradient_view_ = gradients_.narrow(0, 0, total);
  exp_avg_ = torch::zeros({total}, options);
  exp_avg_sq_ = torch::zeros({total}, options);
  for (auto& p : params_) TORCH_CHECK(p.is_leaf(), "FlatAdam: a parameter is not a leaf tensor");
  rebind();
}

torch::Tensor FlatAdam::slice(const torch::Tensor& flat, size_t i) const {
  return flat.narrow(0, offsets_[i], params_[i].numel()).view(params_[i].sizes());
}

void FlatAdam::rebind() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    torch::Tensor value = slice(values_, i);
    if (p.data_ptr() != value.data_ptr()) {
      value.copy_(p);
      p.set_data(value);
    }
    // Backward adds into a defined gradient in place (AccumulateGrad without grad mode).
    p.mutable_grad() = slice(gradients_, i);
  }
}

void FlatAdam::zero_grad() { gradients_.zero_(); }

void FlatAdam::step() {
  // Anything that gave a parameter storage of its own (Module::load, to()) without rebind()
  // would leave the model untouched by every later step: refuse instead.
  const torch::Tensor& first = params_.front();
  TORCH_CHECK(first.data_ptr() == values_.data_ptr() && first.grad().defined() &&
                  first.grad().data_ptr() == gradients_.data_ptr(),
              "FlatAdam: the parameters no longer view its buffers (rebind() after loading)");
  ++step_;
  torch::NoGradGuard no_grad;
  const torch::Tensor& grad = gradient_view_;
  // LibTorch 2.4+'s fused kernel where it is faster (bench/adam_bench.cpp): threaded on the CPU
  // for large buffers (ours cannot be: ATen's parallel_for needs OpenMP in this file, and the
  // wheel brings its own OpenMP runtime), and one launch on a GPU. Small buffers, such as
  // even-bits' (56 and 8 parameters), are cheaper without its dispatch.
  constexpr int64_t kLibTorchFusedFrom = 1 << 16;
  if (compat::kHasFusedAdam && (!values_.is_cpu() || numel() >= kLibTorchFusedFrom)) {
    if (!step_count_.defined()) step_count_ = torch::zeros({}, values_.options());
    step_count_.fill_(static_cast<double>(step_));
    if (compat::libtorch_fused_adam(values_, grad, exp_avg_, exp_avg_sq_, step_count_, hyper_.lr,
                                    hyper_.beta1, hyper_.beta2, hyper_.eps)) {
      grad.zero_();
      return;
    }
  }
  if (values_.is_cpu()) {
    adam_update(adam_scalars(hyper_.lr, hyper_.beta1, hyper_.beta2, hyper_.eps, step_),
                values_.data_ptr<float>(), grad.data_ptr<float>(), exp_avg_.data_ptr<float>(),
                exp_avg_sq_.data_ptr<float>(), numel());
    return;
  }
  // A GPU without LibTorch's fused kernel (before 2.4): torch::optim::Adam's arithmetic in a few
  // ops on the flat tensors.
  const double bias_correction1 = 1 - std::pow(hyper_.beta1, static_cast<double>(step_));
  const double bias_correction2 = 1 - std::pow(hyper_.beta2, static_cast<double>(step_));
  exp_avg_.mul_(hyper_.beta1).add_(grad, 1 - hyper_.beta1);
  exp_avg_sq_.mul_(hyper_.beta2).addcmul_(grad, grad, 1 - hyper_.beta2);
  torch::Tensor denom = (exp_avg_sq_.sqrt() / std::sqrt(bias_correction2)).add_(hyper_.eps);
  values_.addcdiv_(exp_avg_, denom, -hyper_.lr / bias_correction1);
  grad.zero_();
}

AdamState FlatAdam::state() const {
  AdamState state;
  state.step = step_;
  if (step_ == 0) return state;
  for (size_t i = 0; i < params_.size(); ++i) {
    state.exp_avg.push_back(slice(exp_avg_, i));
    state.exp_avg_sq.push_back(slice(exp_avg_sq_, i));
  }
  return state;
}

void FlatAdam::restore(const AdamState& state) {
  TORCH_CHECK(state.step >= 0, "the optimizer state's step is negative");
  const size_t n = state.step == 0 ? 0 : params_.size();
  TORCH_CHECK(state.exp_avg.size() == n && state.exp_avg_sq.size() == n,
              "the optimizer state covers only some of the parameters");
  torch::NoGradGuard no_grad;
  exp_avg_.zero_();
  exp_avg_sq_.zero_();
  for (size_t i = 0; i < n; ++i) {
    for (const torch::Tensor* moment : {&state.exp_avg[i], &state.exp_avg_sq[i]})
      TORCH_CHECK(moment->sizes() == params_[i].sizes(),
                  "the optimizer state does not match the parameters it belongs to");
    slice(exp_avg_, i).copy_(state.exp_avg[i]);
    slice(exp_avg_sq_, i).copy_(state.exp_avg_sq[i]);
  }
  step_ = state.step;
}

}  // namespace gantrain
