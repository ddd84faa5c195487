#pragma once
// Shared test helpers: a seeding fixture and an assertion on exception messages.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

namespace gantrain::testing_support {

/// Seeds LibTorch before each test so every test sees the same random stream.
struct SeedingFixture : ::testing::Test {
  void SetUp() override { torch::manual_seed(0); }
};

}  // namespace gantrain::testing_support

/// Expects `statement` to throw `type` whose what() contains `substring`.
#define EXPECT_THROW_MSG(statement, type, substring)                                   \
  do {                                                                                 \
    try {                                                                              \
      statement;                                                                       \
      ADD_FAILURE() << "expected " #type " containing \"" << (substring) << "\"";     \
    } catch (const type& e) {                                                          \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)              \
          << "message: " << e.what();                                                  \
    }                                                                                  \
  } while (0)
