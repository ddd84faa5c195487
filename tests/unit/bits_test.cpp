// The even-bits task's encoding: integers as big-endian bit vectors and back.
#include "gantrain/data/bits.h"

#include <gtest/gtest.h>

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
