// Test entry point: CUDA tests (named *_CUDA) are filtered out where no GPU is visible.
#include <gtest/gtest.h>
#include <torch/torch.h>

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (!torch::cuda::is_available()) {
    std::string filter = testing::GTEST_FLAG(filter);
    testing::GTEST_FLAG(filter) = filter + (filter.find('-') == std::string::npos ? "-" : ":") + "*_CUDA";
  }
  at::set_num_threads(1);
  return RUN_ALL_TESTS();
}
