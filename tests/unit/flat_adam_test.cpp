#include <sstream>

#include "gantrain/optim/adam_kernel.h"
#include "gantrain/optim/flat_adam.h"
#include "gantrain/torch_compat.h"
#include "expect_throw.h"
#include "optim_support.h"
#include "support.h"

using namespace gantrain;
using namespace gantrain::testing_support;

namespace {

class FlatAdamTest : public testing_support::SeedingFixture {};

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


TEST_F(FlatAdamTest, AStepAfterTheViewsWereBrokenIsRefused) {
  std::vector<torch::Tensor> params = mlp_params();
  FlatAdam optimizer(params, AdamHyper{});
  params[0].set_data(params[0].detach().clone());  // what Module::load does, without rebind()
  EXPECT_THROW_MSG(optimizer.step(), c10::Error, "the parameters no longer view its buffers");
  optimizer.rebind();
  optimizer.step();
  EXPECT_EQ(optimizer.steps(), 1);
}
