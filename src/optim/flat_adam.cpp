#include "gantrain/optim/flat_adam.h"

#include <cmath>

#include "gantrain/optim/adam_kernel.h"
#include "gantrain/torch_compat.h"

namespace gantrain {

// LibTorch's own Adam::load cannot cross the 1.13 / 2.x line: both versions name each
// parameter's state by the address of its tensor, 1.13 as "0x55d0...", 2.x in decimal, and 2.x
// parses the name with stoull (every 1.13 name reads as 0: one parameter would get some other's
// state, the rest an empty one). The names only pair a parameter with its state, so they are
// matched here as strings. The saved options are ignored: the run's config sets them. Each
// state is checked against its parameter (Adam::step trusts it; a damaged one crashed
// fuzz_checkpoint).
void load_adam_state(torch::serialize::InputArchive& archive, torch::optim::Adam& optimizer) {
  torch::serialize::InputArchive groups, states;
  archive.read("param_groups", groups);
  archive.read("state", states);
  // A fresh tensor for every read: reading into a defined one set_()s it, which would rewrite
  // the archive's own tensor from the earlier read.
  torch::Tensor group_count;
  groups.read("param_groups/size", group_count);
  TORCH_CHECK(group_count.numel() == 1 && group_count.item<int64_t>() ==
                                              static_cast<int64_t>(optimizer.param_groups().size()),
              "the optimizer state has a different number of parameter groups");
  optimizer.state().clear();
  size_t restored = 0;
  for (size_t g = 0; g < optimizer.param_groups().size(); ++g) {
    torch::serialize::InputArchive group;
    groups.read("param_groups/" + std::to_string(g), group);
    const std::vector<torch::Tensor>& params = optimizer.param_groups()[g].params();
    torch::Tensor count;
    group.read("params/size", count);
    TORCH_CHECK(count.numel() == 1 && count.item<int64_t>() == static_cast<int64_t>(params.size()),
                "the optimizer state has a different number of parameters");
    for (size_t i = 0; i < params.size(); ++i) {
      c10::IValue name;
      group.read("params/" + std::to_string(i), name);
      TORCH_CHECK(name.isString(), "the optimizer state names a parameter by a non-string");
      torch::serialize::InputArchive saved;
      if (!states.try_read(name.toStringRef(), saved)) continue;  // no step yet: step() starts one
      auto state = std::make_unique<torch::optim::AdamParamState>();
      state->serialize(saved);
      const torch::Tensor& p = params[i];
      auto matches = [&](const torch::Tensor& t) {
        return t.defined() && t.sizes() == p.sizes() && t.scalar_type() == p.scalar_type();
      };
      TORCH_CHECK(state->step() >= 0 && matches(state->exp_avg()) &&
                      matches(state->exp_avg_sq()),
                  "the optimizer state does not match the parameters it belongs to");
      optimizer.state()[compat::optimizer_state_key(p)] = std::move(state);
      ++restored;
    }
  }
  // A state no parameter names would be dropped without a word: refuse instead.
  TORCH_CHECK(restored == states.keys().size(),
              "the optimizer state belongs to parameters this optimizer does not have");
}

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

torch::optim::Adam FlatAdam::libtorch_adam() const {
  return torch::optim::Adam(params_, torch::optim::AdamOptions(hyper_.lr)
                                         .betas(std::make_tuple(hyper_.beta1, hyper_.beta2))
                                         .eps(hyper_.eps));
}

void FlatAdam::save(torch::serialize::OutputArchive& archive) const {
  // LibTorch's own writer over the same tensors. The moments are views of two flat buffers,
  // which the archive stores once each (it writes a storage once, however many views share it).
  torch::optim::Adam layout = libtorch_adam();
  if (step_ > 0) {
    for (size_t i = 0; i < params_.size(); ++i) {
      auto state = std::make_unique<torch::optim::AdamParamState>();
      state->step(step_);
      state->exp_avg(slice(exp_avg_, i));
      state->exp_avg_sq(slice(exp_avg_sq_, i));
      layout.state()[compat::optimizer_state_key(params_[i])] = std::move(state);
    }
  }
  layout.save(archive);
}

void FlatAdam::load(torch::serialize::InputArchive& archive) {
  torch::optim::Adam layout = libtorch_adam();
  load_adam_state(archive, layout);
  torch::NoGradGuard no_grad;
  exp_avg_.zero_();
  exp_avg_sq_.zero_();
  step_ = 0;
  if (layout.state().empty()) return;  // saved before the first update: LibTorch writes none
  TORCH_CHECK(layout.state().size() == params_.size(),
              "the optimizer state covers only some of the parameters");
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& state = static_cast<const torch::optim::AdamParamState&>(
        *layout.state().at(compat::optimizer_state_key(params_[i])));
    if (i == 0) step_ = state.step();
    TORCH_CHECK(state.step() == step_, "the optimizer state's parameters are at different steps");
    slice(exp_avg_, i).copy_(state.exp_avg());
    slice(exp_avg_sq_, i).copy_(state.exp_avg_sq());
  }
}

}  // namespace gantrain
