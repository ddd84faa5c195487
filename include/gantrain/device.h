#pragma once
/// Device selection and process-wide compute settings.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "gantrain/choices.h"

namespace gantrain {

/// Resolves cpu, cuda, cuda:N or auto to a usable device; throws gantrain::Error saying whether
/// this LibTorch build lacks CUDA or no GPU is visible.
torch::Device resolve_device(const DeviceChoice& choice);

/// Sets LibTorch's intra-op threads and OpenBLAS's where present. 0 = the fast default: 1 with
/// OpenBLAS (it threads its own matrix products; both on 2 cores oversubscribe), LibTorch's own
/// (the cores) with MKL, which follows it.
/// With `onednn_bound` (runs_in_onednn: convolutions, bfloat16 products) the default is every
/// hardware thread on both builds, and one for OpenBLAS: oneDNN follows LibTorch's count.
void set_compute_threads(int64_t threads, bool onednn_bound = false);

/// Where OpenBLAS (Debian's LibTorch) fell back to its SSE3 kernels on a CPU with AVX2 or
/// AVX-512 and OPENBLAS_CORETYPE is unset: starts this program again (`argv`, from main) with
/// OPENBLAS_CORETYPE naming the vector kernels, and does not return. Otherwise does nothing.
/// Call first thing in main.
void use_vector_openblas_kernels(char** argv);

/// Fixes glibc's mmap and trim thresholds (64 MB, 256 MB): with the dynamic defaults the
/// activation buffers of every step are mmapped and unmapped again, re-faulting their pages
/// (docs/performance.md). Call once, first thing in main.
void tune_allocator();

/// Bytes of memory available to this process now (MemAvailable of /proc/meminfo, else the free
/// physical pages).
uint64_t available_memory_bytes();

/// Seeds the CPU generator and, on CUDA, the device's: every random draw of a run follows.
void seed_everything(uint64_t seed);

/// The default generator of `device` (CPU or a CUDA device).
at::Generator default_generator(torch::Device device);

/// A copy of the generator's state (a uint8 tensor), taken under its lock.
torch::Tensor generator_state(at::Generator generator);

/// Restores a state from generator_state().
void set_generator_state(at::Generator generator, const torch::Tensor& state);

}  // namespace gantrain
