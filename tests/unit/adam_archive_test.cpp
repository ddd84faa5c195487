// Adam's state in checkpoints: torch::optim::Adam's layout, read from either LibTorch's files.
#include <sstream>

#include "gantrain/io/adam_archive.h"
#include "gantrain/optim/flat_adam.h"
#include "gantrain/torch_compat.h"
#include "expect_throw.h"
#include "optim_support.h"
#include "support.h"

using namespace gantrain;
using namespace gantrain::testing_support;

namespace {

class AdamArchiveTest : public testing_support::SeedingFixture {};

}  // namespace

// save_adam writes torch::optim::Adam's layout: LibTorch's Adam continues from it, and FlatAdam
// continues from what LibTorch's Adam wrote, both exactly as far as float rounding allows.
TEST_F(AdamArchiveTest, StateCrossesToAndFromTorchAdam) {
  std::vector<torch::Tensor> params = mlp_params();
  FlatAdam optimizer(params, AdamHyper{});
  for (int step = 0; step < 5; ++step) {
    backward_on(params, torch::randn({8, 32}));
    optimizer.step();
  }
  torch::serialize::OutputArchive out;
  save_adam(out, optimizer);
  std::stringstream buffer;
  out.save_to(buffer);
  std::vector<torch::Tensor> theirs = copies(params);
  torch::optim::Adam adam(theirs, torch::optim::AdamOptions(1e-3));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  load_adam_state(in, adam);
  for (size_t i = 0; i < theirs.size(); ++i) {
    const auto& state = static_cast<const torch::optim::AdamParamState&>(
        *adam.state().at(compat::optimizer_state_key(theirs[i])));
    EXPECT_EQ(state.step(), 5);
    EXPECT_TRUE(state.exp_avg().equal(optimizer.exp_avg(i)));
    EXPECT_TRUE(state.exp_avg_sq().equal(optimizer.exp_avg_sq(i)));
  }
  // And back: a fresh FlatAdam loads what LibTorch's Adam saved.
  torch::serialize::OutputArchive from_adam;
  adam.save(from_adam);
  std::stringstream adam_buffer;
  from_adam.save_to(adam_buffer);
  std::vector<torch::Tensor> again = copies(params);
  FlatAdam restored(again, AdamHyper{});
  torch::serialize::InputArchive adam_in;
  adam_in.load_from(adam_buffer);
  load_adam(adam_in, restored);
  EXPECT_EQ(restored.steps(), 5);
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_TRUE(restored.exp_avg(i).equal(optimizer.exp_avg(i))) << i;
    EXPECT_TRUE(restored.exp_avg_sq(i).equal(optimizer.exp_avg_sq(i))) << i;
  }
  // And all three continue alike: the same gradient, the same sixth update.
  for (size_t i = 0; i < params.size(); ++i) {
    torch::Tensor g = torch::randn_like(params[i]);
    params[i].grad().copy_(g);
    again[i].grad().copy_(g);
    theirs[i].mutable_grad() = g.clone();
  }
  optimizer.step();
  restored.step();
  adam.step();
  EXPECT_EQ(max_difference(params, again), 0.0);
  EXPECT_LT(max_difference(params, theirs), 1e-6);
}

TEST_F(AdamArchiveTest, AStateWithParametersAtDifferentStepsIsRefused) {
  std::vector<torch::Tensor> params = mlp_params();
  torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-3));
  for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = torch::ones_like(params[i]);
  adam.step();
  params[0].mutable_grad().reset();  // parameter 0 is not stepped a second time
  adam.step();
  torch::serialize::OutputArchive out;
  adam.save(out);
  std::stringstream buffer;
  out.save_to(buffer);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  std::vector<torch::Tensor> mine = copies(params);
  FlatAdam optimizer(mine, AdamHyper{});
  EXPECT_THROW_MSG(load_adam(in, optimizer), c10::Error,
                   "the optimizer state's parameters are at different steps");
}

namespace {

// An Adam archive in LibTorch's layout, each parameter named by `names` (1.13 wrote "0x55d0...",
// 2.x decimal addresses) and its state by `state_names` (the same, unless a test says otherwise):
// what Adam::save writes, built by hand.
std::string adam_archive(torch::optim::Adam& optimizer, const std::vector<std::string>& names,
                         std::vector<std::string> state_names = {}) {
  if (state_names.empty()) state_names = names;
  torch::serialize::OutputArchive archive, groups, group, states;
  const auto& params = optimizer.param_groups()[0].params();
  groups.write("param_groups/size", torch::tensor(int64_t{1}));
  group.write("params/size", torch::tensor(static_cast<int64_t>(params.size())));
  for (size_t i = 0; i < params.size(); ++i) {
    group.write("params/" + std::to_string(i), c10::IValue(names[i]));
    torch::serialize::OutputArchive state;
    torch::optim::AdamParamState saved;
    saved.step(static_cast<int64_t>(i) + 3);
    saved.exp_avg(torch::full_like(params[i], 0.25 * static_cast<double>(i + 1)));
    saved.exp_avg_sq(torch::full_like(params[i], 0.5 * static_cast<double>(i + 1)));
    saved.serialize(state);
    states.write(state_names[i], state);
  }
  torch::serialize::OutputArchive options;
  torch::optim::AdamOptions(0.5).betas({0.1, 0.2}).serialize(options);  // not the optimizer's own
  group.write("options", options);
  groups.write("param_groups/0", group);
  archive.write("param_groups", groups);
  archive.write("state", states);
  std::stringstream buffer;
  archive.save_to(buffer);
  return buffer.str();
}

}  // namespace

TEST_F(AdamArchiveTest, AdamStateLoadsWhicheverLibTorchNamedIt) {
  for (const auto& names : std::vector<std::vector<std::string>>{
           {"0x55d0c8a1e2f0", "0x55d0c8a1e3b0"}, {"94238477837040", "94238477837232"}}) {
    torch::Tensor weight = torch::zeros({2, 3}), bias = torch::zeros({2});
    torch::optim::Adam optimizer({weight, bias}, torch::optim::AdamOptions(0.1));
    torch::serialize::InputArchive in;
    std::stringstream buffer(adam_archive(optimizer, names));
    in.load_from(buffer);
    load_adam_state(in, optimizer);
    ASSERT_EQ(optimizer.state().size(), 2u) << names[0];
    const torch::Tensor params[] = {weight, bias};
    for (int64_t i = 0; i < 2; ++i) {
      const auto& state = static_cast<const torch::optim::AdamParamState&>(
          *optimizer.state().at(compat::optimizer_state_key(params[i])));
      EXPECT_EQ(state.step(), i + 3) << names[i];
      EXPECT_TRUE(state.exp_avg().equal(torch::full_like(params[i], 0.25 * (i + 1)))) << names[i];
      EXPECT_TRUE(state.exp_avg_sq().equal(torch::full_like(params[i], 0.5 * (i + 1)))) << names[i];
    }
    // The options stay the optimizer's own, whatever the archive says.
    EXPECT_DOUBLE_EQ(
        static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options()).lr(), 0.1);
  }
}

TEST_F(AdamArchiveTest, AdamStateOfOtherShapesIsRefused) {
  torch::Tensor weight = torch::zeros({2, 3}), bias = torch::zeros({2});
  torch::optim::Adam saved_by({weight, bias}, torch::optim::AdamOptions(0.1));
  std::stringstream buffer(adam_archive(saved_by, {"1", "2"}));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  torch::optim::Adam other({torch::zeros({3, 2}), torch::zeros({2})}, torch::optim::AdamOptions(0.1));
  EXPECT_THROW_MSG(load_adam_state(in, other), c10::Error,
                   "the optimizer state does not match the parameters it belongs to");
}

TEST_F(AdamArchiveTest, AdamStateOfNoParameterIsRefused) {
  torch::Tensor weight = torch::zeros({2, 3}), bias = torch::zeros({2});
  torch::optim::Adam optimizer({weight, bias}, torch::optim::AdamOptions(0.1));
  std::stringstream buffer(adam_archive(optimizer, {"1", "2"}, {"1", "3"}));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  EXPECT_THROW_MSG(load_adam_state(in, optimizer), c10::Error,
                   "the optimizer state belongs to parameters this optimizer does not have");
}

