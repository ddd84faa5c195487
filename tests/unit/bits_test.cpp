#include <gtest/gtest.h>

#include <cmath>

#include "gantrain/data/bits.h"
#include "gantrain/metrics/even_bits_metrics.h"

using namespace gantrain;

TEST(BitsTest, EncodesBigEndian) {
  torch::Tensor bits = to_bits(torch::tensor({56, 1, 127, 0}), 7);
  ASSERT_EQ(bits.sizes(), (std::vector<int64_t>{4, 7}));
  EXPECT_TRUE(bits[0].equal(torch::tensor({0.f, 1.f, 1.f, 1.f, 0.f, 0.f, 0.f})));
  EXPECT_TRUE(bits[1].equal(torch::tensor({0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 1.f})));
  EXPECT_EQ(bits[2].sum().item<float>(), 7.f);
  EXPECT_EQ(bits[3].sum().item<float>(), 0.f);
}

TEST(BitsTest, RoundTripsEveryValue) {
  torch::Tensor all = torch::arange(128);
  EXPECT_TRUE(from_bits(to_bits(all, 7)).equal(all));
}

TEST(BitsTest, DecodesSoftValuesByThreshold) {
  torch::Tensor soft = torch::tensor({{0.9f, 0.2f, 0.51f}, {0.49f, 0.5f, 0.99f}});
  EXPECT_TRUE(from_bits(soft).equal(torch::tensor({5, 1})));
}

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
