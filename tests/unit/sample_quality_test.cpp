// Sample-quality metrics against answers known in closed form or worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "gantrain/metrics/sample_quality.h"

using namespace gantrain;

namespace {

constexpr double kPi = 3.14159265358979323846;

FeatureMoments moments(std::vector<double> mean, const torch::Tensor& covariance) {
  return {torch::tensor(mean, torch::kDouble), covariance.to(torch::kDouble)};
}

torch::Tensor rotation(double angle) {
  return torch::tensor({std::cos(angle), -std::sin(angle), std::sin(angle), std::cos(angle)},
                       torch::kDouble)
      .view({2, 2});
}

torch::Tensor diag(std::vector<double> v) { return torch::diag(torch::tensor(v, torch::kDouble)); }

}  // namespace

TEST(FrechetDistance, DiagonalGaussiansMatchClosedForm) {
  // |m1-m2|^2 = 1 + 4; tr C1 + tr C2 = 5 + 13; tr (C1 C2)^(1/2) = sqrt(1*4) + sqrt(4*9) = 8.
  EXPECT_NEAR(frechet_distance(moments({0, 0}, diag({1, 4})), moments({1, 2}, diag({4, 9}))),
              5 + 18 - 2 * 8, 1e-9);
}

TEST(FrechetDistance, RotatedCovariance) {
  // C2 = R diag(1, 9) R^T is not diagonal; with C1 = 4 I, tr (C1 C2)^(1/2) = 2 (1 + 3).
  torch::Tensor r = rotation(0.7);
  torch::Tensor c2 = r.mm(diag({1, 9})).mm(r.t());
  EXPECT_NEAR(frechet_distance(moments({0, 0}, diag({4, 4})), moments({0, 0}, c2)),
              8 + 10 - 2 * 8, 1e-9);
}

TEST(FrechetDistance, NonCommutingCovariances) {
  // For a 2x2 M with positive eigenvalues, (tr M^(1/2))^2 = tr M + 2 sqrt(det M).
  // M = C1 C2 = [[2, 4], [1, 8]]: tr 10, det 12.
  torch::Tensor c1 = torch::tensor({2.0, 1.0, 1.0, 2.0}, torch::kDouble).view({2, 2});
  const double trace_sqrt = std::sqrt(10 + 2 * std::sqrt(12.0));
  EXPECT_NEAR(frechet_distance(moments({0, 0}, c1), moments({0, 0}, diag({1, 4}))),
              4 + 5 - 2 * trace_sqrt, 1e-9);
}

TEST(FrechetDistance, OfASetWithItselfIsZero) {
  torch::manual_seed(0);
  torch::Tensor features = torch::randn({500, 16}).mm(torch::randn({16, 16}));
  FeatureMoments m = feature_moments(features);
  EXPECT_NEAR(frechet_distance(m, m), 0.0, 1e-6);
}

TEST(FrechetDistance, SampledGaussiansApproachClosedForm) {
  torch::manual_seed(1);
  torch::Tensor r = rotation(0.3);
  torch::Tensor c1 = diag({1, 4}), c2 = r.mm(diag({2, 0.5})).mm(r.t());
  auto draw = [](const torch::Tensor& mean, const torch::Tensor& cov) {
    return torch::randn({200000, 2}, torch::kDouble).mm(torch::linalg_cholesky(cov).t()) + mean;
  };
  torch::Tensor m1 = torch::tensor({0.0, 0.0}, torch::kDouble);
  torch::Tensor m2 = torch::tensor({1.0, -1.0}, torch::kDouble);
  double exact = frechet_distance({m1, c1}, {m2, c2});
  double sampled = frechet_distance(feature_moments(draw(m1, c1)), feature_moments(draw(m2, c2)));
  EXPECT_GT(exact, 1.0);
  EXPECT_NEAR(sampled, exact, 0.05);
}

TEST(KlFromUniform, EdgeCases) {
  EXPECT_NEAR(kl_from_uniform(torch::tensor({5, 5, 5, 5})), 0.0, 1e-12);
  EXPECT_NEAR(kl_from_uniform(torch::tensor({10, 0, 0, 0})), std::log(4.0), 1e-12);
  EXPECT_NEAR(kl_from_uniform(torch::tensor({1, 3})),
              0.25 * std::log(0.5) + 0.75 * std::log(1.5), 1e-12);
  EXPECT_NEAR(kl_from_uniform(torch::tensor({7})), 0.0, 1e-12);
  EXPECT_THROW(kl_from_uniform(torch::zeros({3})), c10::Error);
  EXPECT_THROW(kl_from_uniform(torch::tensor({1, -1, 2})), c10::Error);
  EXPECT_THROW(kl_from_uniform(torch::empty({0})), c10::Error);
}

TEST(ClassSummary, ConfidentBalancedPredictionsScoreK) {
  torch::Tensor p = torch::eye(4).repeat({25, 1});  // 100 confident predictions, 25 per class
  ClassSummary s = class_summary(p);
  EXPECT_NEAR(s.inception_score, 4.0, 1e-9);
  EXPECT_EQ(s.modes_covered, 4);
  EXPECT_EQ(s.histogram, (std::vector<int64_t>{25, 25, 25, 25}));
  EXPECT_NEAR(s.kl_uniform, 0.0, 1e-12);
}

TEST(ClassSummary, CollapseScoresOne) {
  torch::Tensor one_class = torch::zeros({50, 10});
  one_class.select(1, 3).fill_(1);
  ClassSummary s = class_summary(one_class);
  EXPECT_NEAR(s.inception_score, 1.0, 1e-9);
  EXPECT_EQ(s.modes_covered, 1);
  EXPECT_NEAR(s.kl_uniform, std::log(10.0), 1e-12);
  // Unsure predictions carry no information either.
  EXPECT_NEAR(class_summary(torch::full({50, 10}, 0.1)).inception_score, 1.0, 1e-9);
}

TEST(ClassSummary, RareClassIsNotAMode) {
  // 10% of a uniform share is 1 of 100 samples over 10 classes: 0 is below, 1 reaches it.
  torch::Tensor labels = torch::cat({torch::zeros({91}, torch::kLong), torch::arange(1, 10)});
  labels[0] = 9;
  ClassSummary s = class_summary(torch::one_hot(labels, 10).to(torch::kFloat));
  EXPECT_EQ(s.modes_covered, 10);
  labels.masked_fill_(labels == 5, 0);
  EXPECT_EQ(class_summary(torch::one_hot(labels, 10).to(torch::kFloat)).modes_covered, 9);
}

TEST(PrecisionRecall, SameSetIsPerfectAndFarSetIsZero) {
  torch::manual_seed(2);
  torch::Tensor real = torch::randn({300, 5});
  PrecisionRecall same = precision_recall(real, real);
  EXPECT_DOUBLE_EQ(same.precision, 1.0);
  EXPECT_DOUBLE_EQ(same.recall, 1.0);
  PrecisionRecall far = precision_recall(real, real + 100);
  EXPECT_DOUBLE_EQ(far.precision, 0.0);
  EXPECT_DOUBLE_EQ(far.recall, 0.0);
}

TEST(PrecisionRecall, CollapsedFakesAreRealisticButMissMostReals) {
  torch::manual_seed(3);
  torch::Tensor real = torch::randn({1000, 2});
  // Half the fakes are real points, half far off: precision 1/2.
  torch::Tensor fake = torch::cat({real.narrow(0, 0, 500), torch::randn({500, 2}) + 50});
  EXPECT_DOUBLE_EQ(precision_recall(real, fake).precision, 0.5);
  // Fakes all near one real point: realistic, but they cover only that corner.
  torch::Tensor collapsed = real[0].unsqueeze(0) + 1e-3 * torch::randn({1000, 2});
  PrecisionRecall pr = precision_recall(real, collapsed);
  EXPECT_GT(pr.precision, 0.99);
  EXPECT_LT(pr.recall, 0.01);
}

TEST(Parzen, TinyCaseByHand) {
  // Samples {0, 2}, test points {1, 0}, sigma 1, one dimension:
  //   x = 1: both kernels give exp(-1/2)/sqrt(2 pi)             -> log = -0.5 - 0.918939
  //   x = 0: (1/2)(1 + exp(-2))/sqrt(2 pi)                       -> log = -1.485158
  torch::Tensor samples = torch::tensor({0.0, 2.0}).view({2, 1});
  torch::Tensor test = torch::tensor({1.0, 0.0}).view({2, 1});
  const double at_one = -0.5 - 0.5 * std::log(2 * kPi);
  const double at_zero = std::log(0.5 * (1 + std::exp(-2.0))) - 0.5 * std::log(2 * kPi);
  EXPECT_NEAR(at_one, -1.418939, 1e-6);
  EXPECT_NEAR(at_zero, -1.485158, 1e-6);
  ParzenEstimate e = parzen_log_likelihood(samples, test, 1.0);
  EXPECT_NEAR(e.mean, (at_one + at_zero) / 2, 1e-5);
  // Population std of two values is |a - b| / 2; over sqrt(2) points.
  EXPECT_NEAR(e.standard_error, std::abs(at_one - at_zero) / 2 / std::sqrt(2.0), 1e-5);
}

TEST(Parzen, DimensionsAddUpAndSigmaIsChosenOnValidation) {
  // In D dimensions with one sample at the test point the density is (2 pi sigma^2)^(-D/2).
  torch::Tensor point = torch::zeros({1, 3});
  EXPECT_NEAR(parzen_log_likelihood(point, point, 0.5).mean,
              -1.5 * std::log(2 * kPi * 0.25), 1e-5);
  // Points spread with std 1 around the samples: the width near 1 wins over far-off ones.
  torch::manual_seed(4);
  torch::Tensor samples = torch::randn({2000, 1});
  torch::Tensor validation = torch::randn({500, 1});
  EXPECT_EQ(choose_parzen_sigma(samples, validation, {0.001, 0.2, 10.0}), 0.2);
}

// KID: the unbiased MMD^2 estimate with k(x, y) = (x.y / D + 1)^3 (Binkowski et al. 2018).
TEST(SampleQualityKid, HandWorkedCase) {
  // D = 1, real {0, 1}, fake {1, 2}: k(0,1) = 1; k(1,2) = 27; cross terms 1, 1, 8, 27.
  // (1 + 1) / 2 + (27 + 27) / 2 - 2 (1 + 1 + 8 + 27) / 4 = 1 + 27 - 18.5.
  EXPECT_NEAR(kernel_inception_distance(torch::tensor({0.0, 1.0}).view({2, 1}),
                                        torch::tensor({1.0, 2.0}).view({2, 1})),
              9.5, 1e-9);
}

TEST(SampleQualityKid, MatchesAllPairsSumsForUnequalSets) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({7, 3}, torch::kDouble), y = torch::randn({5, 3}, torch::kDouble) + 0.5;
  auto k = [](const torch::Tensor& a, const torch::Tensor& b) {
    return std::pow(a.dot(b).item<double>() / 3 + 1, 3);
  };
  double xx = 0, yy = 0, xy = 0;
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 7; ++j) xx += i == j ? 0 : k(x[i], x[j]);
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 5; ++j) yy += i == j ? 0 : k(y[i], y[j]);
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 5; ++j) xy += k(x[i], y[j]);
  const double expected = xx / 42 + yy / 20 - 2 * xy / 35;
  EXPECT_NEAR(kernel_inception_distance(x, y), expected, 1e-5 * std::abs(expected));
  EXPECT_NEAR(kernel_inception_distance(y, x), expected, 1e-5 * std::abs(expected));
}

TEST(SampleQualityKid, NearZeroForOneDistributionAndGrowsWithTheShift) {
  torch::manual_seed(3);
  torch::Tensor a = torch::randn({2000, 16}), b = torch::randn({1500, 16});
  const double same = kernel_inception_distance(a, b);
  const double shifted = kernel_inception_distance(a, b + 0.5);
  const double further = kernel_inception_distance(a, b + 1.0);
  EXPECT_LT(std::abs(same), 0.005);
  EXPECT_GT(shifted, 0.05);
  EXPECT_GT(further, 2 * shifted);
  EXPECT_THROW(kernel_inception_distance(a, b.narrow(0, 0, 1)), c10::Error);
  EXPECT_THROW(kernel_inception_distance(a, torch::randn({10, 8})), c10::Error);
}
