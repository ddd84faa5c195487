// Each loss against its formula written out with LibTorch's own functions.
#include "gantrain/config.h"
#include "gantrain/error.h"
#include "gantrain/gan_loss.h"
#include "gantrain/metrics/metrics_schema.h"
#include "support.h"

namespace gantrain {
namespace {

using GanLossTest = testing_support::SeedingFixture;

double value(const torch::Tensor& t) { return t.item<double>(); }

TEST_F(GanLossTest, BceIsTheMeanOfTheTwoHalvesBinaryCrossEntropy) {
  torch::Tensor real = torch::randn({8, 1}) * 3, fake = torch::randn({8, 1}) * 3;
  auto loss = make_gan_loss(LossKind::kBce);
  const double expected =
      0.5 * (value(torch::binary_cross_entropy_with_logits(real, torch::ones_like(real))) +
             value(torch::binary_cross_entropy_with_logits(fake, torch::zeros_like(fake))));
  EXPECT_NEAR(value(loss->discriminator_loss(real, fake)), expected, 1e-6);
  // Non-saturating: -log D(G(z)), i.e. BCE against label 1.
  EXPECT_NEAR(value(loss->generator_loss(fake)),
              value(torch::binary_cross_entropy_with_logits(fake, torch::ones_like(fake))), 1e-6);
  EXPECT_TRUE(torch::allclose(loss->shown_scores(real), torch::sigmoid(real)));
}

// The trainer's form, one tensor of [real; fake] logits, gives the two-tensor form's value and
// gradient for every loss (bce with hard labels takes its own three-op path), also after the
// batch size changes.
TEST_F(GanLossTest, TheJoinedFormEqualsTheTwoHalves) {
  for (const auto& [kind, label] : std::vector<std::pair<LossKind, double>>{
           {LossKind::kBce, 1.0}, {LossKind::kBce, 0.9}, {LossKind::kHinge, 1.0},
           {LossKind::kLsgan, 1.0}}) {
    const std::string name = choice_name(kind);
    auto loss = make_gan_loss(kind, label);
    for (int64_t n : {8, 3}) {
      torch::Tensor joined = (torch::randn({2 * n, 1}) * 3).requires_grad_();
      torch::Tensor halves = joined.detach().clone().requires_grad_();
      torch::Tensor a = loss->joined_discriminator_loss(joined);
      torch::Tensor b = loss->discriminator_loss(halves.narrow(0, 0, n), halves.narrow(0, n, n));
      a.backward();
      b.backward();
      EXPECT_NEAR(value(a), value(b), 1e-6) << name << " " << label << " n " << n;
      EXPECT_TRUE(torch::allclose(joined.grad(), halves.grad(), 1e-5, 1e-7)) << name << " n " << n;
    }
  }
}

TEST_F(GanLossTest, LabelSmoothingMovesOnlyTheRealTarget) {
  torch::Tensor real = torch::randn({8, 1}) * 3, fake = torch::randn({8, 1}) * 3;
  auto smoothed = make_gan_loss(LossKind::kBce, 0.9);
  const double expected =
      0.5 * (value(torch::binary_cross_entropy_with_logits(real, torch::full_like(real, 0.9))) +
             value(torch::binary_cross_entropy_with_logits(fake, torch::zeros_like(fake))));
  EXPECT_NEAR(value(smoothed->discriminator_loss(real, fake)), expected, 1e-6);
  // One-sided: G's target stays 1.
  EXPECT_EQ(value(smoothed->generator_loss(fake)), value(make_gan_loss(LossKind::kBce)->generator_loss(fake)));
  // D no longer gains by saturating: over real logits the loss is smallest at logit(0.9).
  const torch::Tensor zero = torch::zeros({1, 1});
  double best_logit = 0, best = 1e9;
  for (double x = -1; x <= 5; x += 0.01) {
    const double l = value(smoothed->discriminator_loss(torch::full({1, 1}, x), zero));
    if (l < best) best = l, best_logit = x;
  }
  EXPECT_NEAR(best_logit, std::log(0.9 / 0.1), 0.011);
}

TEST_F(GanLossTest, HingeAndLeastSquares) {
  torch::Tensor real = torch::tensor({{2.0f}, {0.5f}}), fake = torch::tensor({{-3.0f}, {0.0f}});
  auto hinge = make_gan_loss(LossKind::kHinge);
  // mean(relu(1 - real)) = (0 + 0.5) / 2; mean(relu(1 + fake)) = (0 + 1) / 2.
  EXPECT_FLOAT_EQ(value(hinge->discriminator_loss(real, fake)), 0.25f + 0.5f);
  EXPECT_FLOAT_EQ(value(hinge->generator_loss(fake)), 1.5f);
  EXPECT_TRUE(torch::equal(hinge->shown_scores(real), real));  // raw scores
  auto lsgan = make_gan_loss(LossKind::kLsgan);
  // 0.5 mean((real - 1)^2) + 0.5 mean(fake^2) = 0.5 (1 + 0.25) / 2 + 0.5 (9 + 0) / 2.
  EXPECT_FLOAT_EQ(value(lsgan->discriminator_loss(real, fake)), 0.3125f + 2.25f);
  // 0.5 mean((fake - 1)^2) = 0.5 (16 + 1) / 2.
  EXPECT_FLOAT_EQ(value(lsgan->generator_loss(fake)), 4.25f);
  auto smoothed = make_gan_loss(LossKind::kLsgan, 0.9);  // real target b = 0.9, and G's c = b
  EXPECT_FLOAT_EQ(value(smoothed->discriminator_loss(real, fake)),
                  0.5f * (1.1f * 1.1f + 0.4f * 0.4f) / 2 + 2.25f);
  EXPECT_FLOAT_EQ(value(smoothed->generator_loss(fake)), 0.5f * (3.9f * 3.9f + 0.9f * 0.9f) / 2);
}

TEST_F(GanLossTest, UnknownLossAndScoreColumns) {
  Config config;
  EXPECT_THROW_MSG(apply_setting(config, {"train.loss", "wgan", "--set"}), ConfigError,
                   "--set: train.loss = 'wgan': expected one of: bce hinge lsgan");
  EXPECT_EQ(score_columns(LossKind::kBce), std::make_pair(std::string("d_real"), std::string("d_fake")));
  EXPECT_EQ(score_columns(LossKind::kHinge).first, "d_real_score");
}

}  // namespace
}  // namespace gantrain
