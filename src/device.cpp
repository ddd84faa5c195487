#include "gantrain/device.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <mutex>
#include <regex>
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

}  // namespace

std::string build_description() {
  std::string text = "LibTorch " TORCH_VERSION;
  const auto& cuda = at::detail::getCUDAHooks();
  if (!cuda.hasCUDART()) return text + ", CPU only";
  text += " with CUDA " + cuda_version(cuda.versionCUDART());
  if (cuda.hasCuDNN()) text += " and cuDNN " + cudnn_version(cuda.versionCuDNN());
  const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
  return text + ", " + std::to_string(gpus) + (gpus == 1 ? " GPU" : " GPUs") + " visible";
}

torch::Device resolve_device(const std::string& name) {
  static const std::regex pattern("cpu|auto|cuda|cuda:[0-9]{1,3}");
  if (!std::regex_match(name, pattern))
    throw ConfigError("device '" + name + "': expected cpu, cuda, cuda:N or auto");
  if (name == "cpu") return torch::kCPU;
  // hasCUDART() is a build-time fact; device_count() what the driver sees now.
  const bool built_with_cuda = at::detail::getCUDAHooks().hasCUDART();
  const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
  if (name == "auto") return gpus > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (!built_with_cuda)
    throw Error("device '" + name +
                "': this LibTorch build has no CUDA support (use --device cpu, or build "
                "against a CUDA LibTorch with -DCMAKE_PREFIX_PATH)");
  if (gpus == 0)
    throw Error("device '" + name +
                "': LibTorch has CUDA but no GPU is visible (check nvidia-smi and "
                "CUDA_VISIBLE_DEVICES)");
  int64_t index = name == "cuda" ? 0 : std::stoll(name.substr(5));
  if (index >= gpus)
    throw Error("device '" + name + "': only " + std::to_string(gpus) +
                " GPU(s) visible, indices 0.." + std::to_string(gpus - 1));
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void set_compute_threads(int64_t threads, bool bf16_products) {
  // LibTorch does not forward its thread count to OpenBLAS (Debian's LibTorch), which threads
  // its own matrix products: LibTorch's threads on top oversubscribe small machines (2.2x slower
  // MNIST on 2 cores), so the default is 1. MKL (upstream LibTorch) follows LibTorch's count, and
  // there LibTorch's own default, the cores, is the fast one (1.6x faster than 1 thread).
  using SetThreads = void (*)(int);
  auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (threads <= 0) {
    if (!bf16_products) {
      if (openblas) at::set_num_threads(1);
      return;
    }
    // bfloat16 products run in oneDNN, which follows LibTorch's count: every hardware thread
    // (Debian's LibTorch would otherwise start with 1; 44 against 34 MNIST steps/s on 2 cores).
    // OpenBLAS, left with the float products of sampling and evaluation, then takes one, so
    // that the two do not oversubscribe the cores.
    at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    if (openblas) openblas(1);
    return;
  }
  at::set_num_threads(static_cast<int>(threads));
  if (openblas) openblas(static_cast<int>(threads));
}

void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
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
