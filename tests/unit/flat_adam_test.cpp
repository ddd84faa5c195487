#include <sstream>

#include "gantrain/optim/adam_kernel.h"
#include "gantrain/optim/flat_adam.h"
#include "gantrain/torch_compat.h"
#include "expect_throw.h"
#include "support.h"

using namespace gantrain;

namespace {

class FlatAdamTest : public testing_support::SeedingFixture {};

// The tensors of a small MLP: two weights and two biases.
std::vector<torch::Tensor> mlp_params() {
  return {torch::randn({64, 32}).requires_grad_(), torch::randn({64}).requires_grad_(),
          torch::randn({1, 64}).requires_grad_(), torch::randn({1}).requires_grad_()};
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  return worst;
}

// Gradients of the parameters' product-sum loss on input x (fresh autograd every call).
void backward_on(const std::vector<torch::Tensor>& p, const torch::Tensor& x) {
  torch::Tensor h = torch::leaky_relu(torch::addmm(p[1], x, p[0].t()), 0.2);
  torch::addmm(p[3], h, p[2].t()).square().mean().backward();
}

}  // namespace

TEST_F(FlatAdamTest, ParametersAndGradientsAreViewsOfTheFlatBuffers) {
  std::vector<torch::Tensor> params = mlp_params();
  const torch::Tensor before = params[2].detach().clone();
  FlatAdam optimizer(params, AdamHyper{}, /*spare=*/2);
  EXPECT_EQ(optimizer.numel(), 64 * 32 + 64 + 64 + 1);
  EXPECT_EQ(optimizer.gradient_buffer().numel(), optimizer.numel() + 2);
  EXPECT_TRUE(params[2].equal(before));  // values kept
  const float* base = optimizer.gradient_buffer().data_ptr<float>();
  EXPECT_EQ(params[2].grad().data_ptr<float>(), base + 64 * 32 + 64);
  // Backward adds into the buffer; step() and zero_grad() leave it zero.
  for (bool by_step : {true, false}) {
    backward_on(params, torch::randn({8, 32}));
    EXPECT_GT(optimizer.gradient_buffer().abs().sum().item<double>(), 0);
    EXPECT_EQ(params[0].grad().data_ptr<float>(), base);
    by_step ? optimizer.step() : optimizer.zero_grad();
    EXPECT_EQ(optimizer.gradient_buffer().abs().sum().item<double>(), 0) << by_step;
  }
}

// The same gradients into both optimizers at every step (so only the update rules are
// compared), 500 steps, with the seed's and the presets' hyperparameters, for a small network
// (gantrain's kernel) and one of 77,100 parameters (LibTorch 2.x's fused kernel on that build).
TEST_F(FlatAdamTest, EqualsTorchAdamOverManySteps) {
  const std::vector<std::vector<torch::Tensor>> networks = {
      mlp_params(), {torch::randn({300, 256}).requires_grad_(), torch::randn({300}).requires_grad_()}};
  for (const auto& network : networks) {
    for (const AdamHyper hyper : {AdamHyper{1e-3, 0.9, 0.999}, AdamHyper{5e-4, 0.5, 0.999}}) {
      std::vector<torch::Tensor> reference = copies(network), flat = copies(network);
      torch::optim::Adam adam(reference, torch::optim::AdamOptions(hyper.lr).betas(
                                             std::make_tuple(hyper.beta1, hyper.beta2)));
      FlatAdam optimizer(flat, hyper);
      for (int step = 0; step < 500; ++step) {
        for (size_t i = 0; i < flat.size(); ++i) {
          torch::Tensor g = torch::randn_like(flat[i]) * (step % 7 == 0 ? 10.0 : 0.1);
          reference[i].mutable_grad() = g.clone();
          flat[i].grad().copy_(g);
        }
        adam.step();
        optimizer.step();
      }
      // Float rounding only: LibTorch's ops may fuse a multiply-add where this kernel does not.
      EXPECT_LT(max_difference(reference, flat), 2e-6)
          << "lr " << hyper.lr << ", " << optimizer.numel() << " parameters";
      EXPECT_EQ(optimizer.steps(), 500);
    }
  }
}

TEST_F(FlatAdamTest, AKernelCallSplitAnywhereGivesTheSameBits) {
  const int64_t n = 1000;
  torch::Tensor p = torch::randn({n}), g = torch::randn({n}), m = torch::randn({n}) * 0.1,
                v = torch::rand({n});
  const AdamScalars s = adam_scalars(1e-3, 0.9, 0.999, 1e-8, 7);
  std::vector<torch::Tensor> whole = {p.clone(), m.clone(), v.clone()}, split = whole;
  for (auto& t : split) t = t.clone();
  adam_update(s, whole[0].data_ptr<float>(), g.clone().data_ptr<float>(), whole[1].data_ptr<float>(),
              whole[2].data_ptr<float>(), n);
  for (const auto& [begin, end] : std::vector<std::pair<int64_t, int64_t>>{{0, 3}, {3, 517}, {517, n}})
    adam_update(s, split[0].data_ptr<float>() + begin, g.data_ptr<float>() + begin,
                split[1].data_ptr<float>() + begin, split[2].data_ptr<float>() + begin, end - begin);
  for (size_t i = 0; i < whole.size(); ++i) EXPECT_TRUE(whole[i].equal(split[i])) << i;
}

// save() writes torch::optim::Adam's layout: LibTorch's Adam continues from it, and FlatAdam
// continues from what LibTorch's Adam wrote, both exactly as far as float rounding allows.
TEST_F(FlatAdamTest, StateCrossesToAndFromTorchAdam) {
  std::vector<torch::Tensor> params = mlp_params();
  FlatAdam optimizer(params, AdamHyper{});
  for (int step = 0; step < 5; ++step) {
    backward_on(params, torch::randn({8, 32}));
    optimizer.step();
  }
  torch::serialize::OutputArchive out;
  optimizer.save(out);
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
  restored.load(adam_in);
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

TEST_F(FlatAdamTest, AStepAfterTheViewsWereBrokenIsRefused) {
  std::vector<torch::Tensor> params = mlp_params();
  FlatAdam optimizer(params, AdamHyper{});
  params[0].set_data(params[0].detach().clone());  // what Module::load does, without rebind()
  EXPECT_THROW_MSG(optimizer.step(), c10::Error, "the parameters no longer view its buffers");
  optimizer.rebind();
  optimizer.step();
  EXPECT_EQ(optimizer.steps(), 1);
}

TEST_F(FlatAdamTest, AStateWithParametersAtDifferentStepsIsRefused) {
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
  EXPECT_THROW_MSG(optimizer.load(in), c10::Error,
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

TEST_F(FlatAdamTest, AdamStateLoadsWhicheverLibTorchNamedIt) {
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

TEST_F(FlatAdamTest, AdamStateOfOtherShapesIsRefused) {
  torch::Tensor weight = torch::zeros({2, 3}), bias = torch::zeros({2});
  torch::optim::Adam saved_by({weight, bias}, torch::optim::AdamOptions(0.1));
  std::stringstream buffer(adam_archive(saved_by, {"1", "2"}));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  torch::optim::Adam other({torch::zeros({3, 2}), torch::zeros({2})}, torch::optim::AdamOptions(0.1));
  EXPECT_THROW_MSG(load_adam_state(in, other), c10::Error,
                   "the optimizer state does not match the parameters it belongs to");
}

TEST_F(FlatAdamTest, AdamStateOfNoParameterIsRefused) {
  torch::Tensor weight = torch::zeros({2, 3}), bias = torch::zeros({2});
  torch::optim::Adam optimizer({weight, bias}, torch::optim::AdamOptions(0.1));
  std::stringstream buffer(adam_archive(optimizer, {"1", "2"}, {"1", "3"}));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  EXPECT_THROW_MSG(load_adam_state(in, optimizer), c10::Error,
                   "the optimizer state belongs to parameters this optimizer does not have");
}

