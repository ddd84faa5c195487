// Even-bits statistics: the share of even samples, distinct values and the KL from uniform.
#include "gantrain/metrics/even_bits_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace gantrain;

TEST(EvenBitsStatsTest, CountsEvenAndDistinct) {
  EvenBitsStats s = even_bits_stats(torch::tensor({2, 2, 4, 7}));
  EXPECT_EQ(s.samples, 4);
  EXPECT_DOUBLE_EQ(s.even_fraction, 0.75);
  EXPECT_EQ(s.distinct, 3);
  EXPECT_EQ(s.distinct_even, 2);
  // Even samples {2, 2, 4}: p = (2/3, 1/3) on two of 64 bins.
  EXPECT_NEAR(s.kl_even_uniform, 2.0 / 3 * std::log(2.0 / 3 * 64) + 1.0 / 3 * std::log(64.0 / 3), 1e-12);
}

TEST(EvenBitsStatsTest, KlIsUndefinedWithoutEvens) {
  EXPECT_TRUE(std::isnan(even_bits_stats(torch::tensor({1, 3})).kl_even_uniform));
}

TEST(EvenBitsStatsTest, AllEvensCovered) {
  EvenBitsStats s = even_bits_stats(torch::arange(0, 128, 2));
  EXPECT_DOUBLE_EQ(s.even_fraction, 1.0);
  EXPECT_EQ(s.distinct_even, 64);
  EXPECT_NEAR(s.kl_even_uniform, 0.0, 1e-12);
}
