// Compute settings: the default thread counts and which OpenBLAS kernels run.
#include <dlfcn.h>

#include <algorithm>
#include <thread>

#include "gantrain/build_info.h"
#include "gantrain/device.h"
#include "support.h"

namespace gantrain {
namespace {

bool has_openblas() { return dlsym(RTLD_DEFAULT, "openblas_set_num_threads") != nullptr; }

// oneDNN-bound work (a DCGAN, bfloat16 products) takes every core for LibTorch; an fp32 MLP on
// OpenBLAS one LibTorch thread, OpenBLAS threading its own products.
TEST(DeviceTest, DefaultThreadsFollowWhereTheWorkRuns) {
  const int before = at::get_num_threads();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  set_compute_threads(0, /*onednn_bound=*/true);
  EXPECT_EQ(at::get_num_threads(), cores);
  set_compute_threads(0, /*onednn_bound=*/false);
  if (has_openblas()) {
    EXPECT_EQ(at::get_num_threads(), 1);
  }
  set_compute_threads(1, /*onednn_bound=*/true);  // an explicit count wins
  EXPECT_EQ(at::get_num_threads(), 1);
  at::set_num_threads(before);
}

// Debian's OpenBLAS falls back to its SSE3 kernels on CPU models newer than itself; gantrain's
// main (and this binary's) has it run the vector kernels the CPU has, and --version says which.
TEST(DeviceTest, OpenblasRunsTheCpusVectorKernels) {
  using CoreName = char* (*)();
  auto core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!core) {
    EXPECT_EQ(build_description().find("OpenBLAS"), std::string::npos) << build_description();
    return;
  }
  const std::string name = core();
  EXPECT_NE(build_description().find(", OpenBLAS " + name + " kernels"), std::string::npos)
      << build_description();
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_NE(name, "Prescott");
  }
}

}  // namespace
}  // namespace gantrain
