// Test entry point. CUDA tests (named *_CUDA) skip themselves where no GPU is visible
// (support.h), and ctest reports them as skipped.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gantrain/device.h"

int main(int argc, char** argv) {
  gantrain::use_vector_openblas_kernels(argv);  // as gantrain's main does
  testing::InitGoogleTest(&argc, argv);
  at::set_num_threads(1);
  return RUN_ALL_TESTS();
}
