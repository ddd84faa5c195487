#include "gantrain/io/adam_archive.h"

#include "gantrain/torch_compat.h"

namespace gantrain {
namespace {

// A torch::optim::Adam over the same parameters: the layout's reader and writer.
torch::optim::Adam libtorch_adam(const FlatAdam& optimizer) {
  const AdamHyper& h = optimizer.hyper();
  return torch::optim::Adam(optimizer.params(), torch::optim::AdamOptions(h.lr)
                                                    .betas(std::make_tuple(h.beta1, h.beta2))
                                                    .eps(h.eps));
}

}  // namespace

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

void save_adam(torch::serialize::OutputArchive& archive, const FlatAdam& optimizer) {
  // LibTorch's own writer over the same tensors. The moments are views of two flat buffers,
  // which the archive stores once each (it writes a storage once, however many views share it).
  torch::optim::Adam layout = libtorch_adam(optimizer);
  const AdamState state = optimizer.state();
  for (size_t i = 0; i < state.exp_avg.size(); ++i) {
    auto saved = std::make_unique<torch::optim::AdamParamState>();
    saved->step(state.step);
    saved->exp_avg(state.exp_avg[i]);
    saved->exp_avg_sq(state.exp_avg_sq[i]);
    layout.state()[compat::optimizer_state_key(optimizer.params()[i])] = std::move(saved);
  }
  layout.save(archive);
}

void load_adam(torch::serialize::InputArchive& archive, FlatAdam& optimizer) {
  torch::optim::Adam layout = libtorch_adam(optimizer);
  load_adam_state(archive, layout);
  AdamState state;
  if (!layout.state().empty()) {  // LibTorch writes none before the first update
    TORCH_CHECK(layout.state().size() == optimizer.params().size(),
                "the optimizer state covers only some of the parameters");
    for (const torch::Tensor& p : optimizer.params()) {
      const auto& saved = static_cast<const torch::optim::AdamParamState&>(
          *layout.state().at(compat::optimizer_state_key(p)));
      if (state.exp_avg.empty()) state.step = saved.step();
      TORCH_CHECK(saved.step() == state.step,
                  "the optimizer state's parameters are at different steps");
      state.exp_avg.push_back(saved.exp_avg());
      state.exp_avg_sq.push_back(saved.exp_avg_sq());
    }
  }
  optimizer.restore(state);
}

}  // namespace gantrain
