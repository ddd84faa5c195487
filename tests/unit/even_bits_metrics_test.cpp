// Even-bits statistics: the share of even samples, distinct values and the KL from uniform.
#include "gantrain/metrics/even_bits_metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>
#include <vector>

#include "gantrain/metrics/sample_quality.h"

using namespace gantrain;

namespace {

using Integers = std::vector<int64_t>;

// 0, 2, ..., 126.
Integers all_evens() {
  Integers v;
  for (int64_t i = 0; i < 128; i += 2) v.push_back(i);
  return v;
}

}  // namespace

TEST(EvenBitsStatsTest, CountsEvenAndDistinct) {
  EvenBitsStats s = even_bits_stats(Integers{2, 2, 4, 7});
  EXPECT_EQ(s.samples, 4);
  EXPECT_DOUBLE_EQ(s.even_fraction, 0.75);
  EXPECT_EQ(s.distinct, 3);
  EXPECT_EQ(s.distinct_even, 2);
  // Even samples {2, 2, 4}: p = (2/3, 1/3) on two of 64 bins.
  EXPECT_NEAR(s.kl_even_uniform, 2.0 / 3 * std::log(2.0 / 3 * 64) + 1.0 / 3 * std::log(64.0 / 3), 1e-12);
}

TEST(EvenBitsStatsTest, KlIsUndefinedWithoutEvens) {
  EXPECT_TRUE(std::isnan(even_bits_stats(Integers{1, 3}).kl_even_uniform));
}

TEST(EvenBitsStatsTest, AllEvensCovered) {
  EvenBitsStats s = even_bits_stats(all_evens());
  EXPECT_DOUBLE_EQ(s.even_fraction, 1.0);
  EXPECT_EQ(s.distinct_even, 64);
  EXPECT_NEAR(s.kl_even_uniform, 0.0, 1e-12);
}

// What the report reads from a sample file may hold anything: values outside [0, 128) are
// counted (and as even or odd), but neither in the histogram nor in the KL.
TEST(EvenBitsStatsTest, OutOfRangeValuesAreCountedNotBinned) {
  EvenBitsStats s = even_bits_stats(Integers{4, 4, 7, 200, 131, -2});
  EXPECT_EQ(s.samples, 6);
  EXPECT_EQ(s.out_of_range, 3);
  EXPECT_EQ(s.even, 4);  // 4, 4, 200, -2
  EXPECT_DOUBLE_EQ(s.even_fraction, 4.0 / 6);
  EXPECT_EQ(s.distinct, 2);
  EXPECT_EQ(s.distinct_even, 1);
  EXPECT_EQ(s.counts[4], 2);
  EXPECT_EQ(s.counts[7], 1);
  EXPECT_NEAR(s.kl_even_uniform, std::log(64.0), 1e-12);  // all of the in-range evens on one
  EXPECT_TRUE(std::isnan(even_bits_stats(Integers{1, 130}).kl_even_uniform));

  EvenBitsStats none = even_bits_stats({});
  EXPECT_EQ(none.samples, 0);
  EXPECT_TRUE(std::isnan(none.even_fraction));
  EXPECT_TRUE(std::isnan(none.kl_even_uniform));
}

// The KL is kl_from_uniform's (the MNIST class KL) over the 64 even bins.
TEST(EvenBitsStatsTest, KlIsKlFromUniformOfTheEvenBins) {
  std::mt19937 random(3);
  for (int trial = 0; trial < 20; ++trial) {
    Integers v(1 + random() % 300);
    for (auto& x : v) x = static_cast<int64_t>(random() % (trial < 10 ? 16 : 128));
    const EvenBitsStats s = even_bits_stats(v);
    torch::Tensor even_bins = torch::tensor(std::vector<int64_t>(s.counts.begin(), s.counts.end()))
                                  .slice(0, 0, 128, 2);
    if (even_bins.sum().item<int64_t>() == 0) continue;
    EXPECT_NEAR(s.kl_even_uniform, kl_from_uniform(even_bins), 1e-12) << "trial " << trial;
  }
}
