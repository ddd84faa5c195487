#pragma once
// Shared test helpers: a seeding fixture and an assertion on exception messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "expect_throw.h"

namespace gantrain::testing_support {

/// Seeds LibTorch before each test so every test sees the same random stream; a test named
/// *_CUDA is skipped where no GPU is visible.
struct SeedingFixture : ::testing::Test {
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const std::string suffix = "_CUDA";
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        !torch::cuda::is_available())
      GTEST_SKIP() << "no GPU visible";
    torch::manual_seed(0);
  }
};

}  // namespace gantrain::testing_support
