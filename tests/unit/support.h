#pragma once
// Shared test helpers: a seeding fixture and an assertion on exception messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "expect_throw.h"

namespace gantrain::testing_support {

/// Seeds LibTorch before each test so every test sees the same random stream.
struct SeedingFixture : ::testing::Test {
  void SetUp() override { torch::manual_seed(0); }
};

}  // namespace gantrain::testing_support
