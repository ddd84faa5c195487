#include "gantrain/device.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "gantrain/build_info.h"
#include "gantrain/error.h"

namespace gantrain {
namespace {

// CUDART_VERSION 13000 -> "13.0"; CUDNN_VERSION 91900 -> "9.19.0" (8.x: 8907 -> "8.9.7").
std::string cuda_version(long v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}
std::string cudnn_version(long v) {
  const long major_unit = v >= 90000 ? 10000 : 1000;
  return std::to_string(v / major_unit) + "." + std::to_string(v % major_unit / 100) + "." +
         std::to_string(v % 100);
}

// The name of the kernels OpenBLAS runs ("SkylakeX", "Prescott"), or null without OpenBLAS
// (LibTorch with MKL).
const char* openblas_core_name() {
  using CoreName = char* (*)();
  auto core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return core ? core() : nullptr;
}

}  // namespace

std::string build_description() {
  std::string text = "LibTorch " TORCH_VERSION;
  const auto& cuda = at::detail::getCUDAHooks();
  if (!cuda.hasCUDART()) {
    text += ", CPU only";
  } else {
    text += " with CUDA " + cuda_version(cuda.versionCUDART());
    if (cuda.hasCuDNN()) text += " and cuDNN " + cudnn_version(cuda.versionCuDNN());
    const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
    text += ", " + std::to_string(gpus) + (gpus == 1 ? " GPU" : " GPUs") + " visible";
  }
  // Which of its kernels OpenBLAS (Debian's LibTorch) runs: their speeds differ by 3.5x.
  if (const char* core = openblas_core_name())
    text += ", OpenBLAS " + std::string(core) + " kernels";
  return text;
}

torch::Device resolve_device(const DeviceChoice& choice) {
  if (choice.kind == DeviceKind::kCpu) return torch::kCPU;
  // hasCUDART() is a build-time fact; device_count() what the driver sees now.
  const bool built_with_cuda = at::detail::getCUDAHooks().hasCUDART();
  const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
  if (choice.kind == DeviceKind::kAuto)
    return gpus > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  const std::string name = device_choice_name(choice);
  if (!built_with_cuda)
    throw Error("device '" + name +
                "': this LibTorch build has no CUDA support (use --device cpu, or build "
                "against a CUDA LibTorch with -DCMAKE_PREFIX_PATH)");
  if (gpus == 0)
    throw Error("device '" + name +
                "': LibTorch has CUDA but no GPU is visible (check nvidia-smi and "
                "CUDA_VISIBLE_DEVICES)");
  const int64_t index = std::max<int64_t>(choice.index, 0);
  if (index >= gpus)
    throw Error("device '" + name + "': only " + std::to_string(gpus) +
                " GPU(s) visible, indices 0.." + std::to_string(gpus - 1));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void set_compute_threads(int64_t threads, bool onednn_bound) {
  // LibTorch does not forward its thread count to OpenBLAS (Debian's LibTorch), which threads
  // its own matrix products: LibTorch's threads on top oversubscribe small machines (2.2x slower
  // MNIST on 2 cores), so the default is 1. MKL (upstream LibTorch) follows LibTorch's count, and
  // there LibTorch's own default, the cores, is the fast one (1.6x faster than 1 thread).
  using SetThreads = void (*)(int);
  auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  const int64_t hardware = std::max(1u, std::thread::hardware_concurrency());
  if (threads > hardware) {
    // More threads than the machine has only contend: 5 even-bits steps took 25 s with 1000.
    spdlog::warn("train.threads = {}: this machine has {} hardware threads; using {}", threads,
                 hardware, hardware);
    threads = hardware;
  }
  if (threads <= 0) {
    if (!onednn_bound) {
      if (openblas) at::set_num_threads(1);
      return;
    }
    // Convolutions and bfloat16 products run in oneDNN, which follows LibTorch's count: every
    // hardware thread (Debian's LibTorch would otherwise start with 1; bf16 MNIST: 44 against
    // 34 steps/s on 2 cores). OpenBLAS, left with the float products of sampling and
    // evaluation, then takes one, so that the two do not oversubscribe the cores.
    at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    if (openblas) openblas(1);
    return;
  }
  at::set_num_threads(static_cast<int>(threads));
  if (openblas) openblas(static_cast<int>(threads));
}

void use_vector_openblas_kernels(char** argv) {
  // Debian 12's OpenBLAS (0.3.21) picks its kernels by CPU model and falls back to its SSE3
  // "Prescott" ones on models newer than itself: on an Intel Xeon of model 207 its matrix
  // products ran 3.5x slower than with the AVX-512 ("SkylakeX") kernels that CPU has, and the
  // MNIST MLP trained 2.5x slower (docs/performance.md, 2026-12-06). It reads OPENBLAS_CORETYPE
  // only as it loads, so the program starts again with it set.
  const char* core = openblas_core_name();
  if (!core || std::getenv("OPENBLAS_CORETYPE") || std::strcmp(core, "Prescott") != 0) return;
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx512 && !avx2) return;
  setenv("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell", 1);
  execv("/proc/self/exe", argv);  // returns only if it failed: go on with the slow kernels
  unsetenv("OPENBLAS_CORETYPE");
#else
  (void)argv;
#endif
}

void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);)
    if (line.rfind("MemAvailable:", 0) == 0) return std::stoull(line.substr(13)) * 1024;
  return static_cast<uint64_t>(sysconf(_SC_AVPHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void seed_everything(uint64_t seed) { torch::manual_seed(seed); }

at::Generator default_generator(torch::Device device) {
  if (device.is_cpu()) return at::detail::getDefaultCPUGenerator();
  return at::globalContext().defaultGenerator(device);
}

torch::Tensor generator_state(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_generator_state(at::Generator generator, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace gantrain
