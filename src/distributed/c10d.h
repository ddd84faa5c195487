#pragma once
// c10d inside src/distributed/ only (its backends are declared under USE_C10D_GLOO / USE_C10D_NCCL,
// which LibTorch's CMake package defines).
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/torch.h>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif

#include <chrono>
#include <cstdint>
#include <string>

namespace gantrain::distributed {

// LibTorch 2.x split c10d::Backend (one backend's collectives) out of c10d::ProcessGroup (a
// dispatcher over backends); in 1.13 ProcessGroupGloo derived from ProcessGroup itself. gantrain
// calls one backend directly, so it names whichever base class its backends have.
#if TORCH_VERSION_MAJOR >= 2
using Backend = c10d::Backend;
#else
using Backend = c10d::ProcessGroup;
#endif

// The store as one attempt of a run sees it: a torchrun restart reuses the agent's store, so each
// attempt's keys are apart.
c10::intrusive_ptr<c10d::Store> attempt_store(const c10::intrusive_ptr<c10d::Store>& store,
                                              int64_t restart_count);

// The launcher's note that worker `rank` exited ("was killed by signal Killed"), in that
// attempt's store: the survivors waiting on it in a collective stop within a second and name it.
void note_worker_exit(const c10::intrusive_ptr<c10d::Store>& store, int64_t rank,
                      const std::string& how) noexcept;

// NCCL's backend (nccl_backend.cpp, compiled in CUDA builds that have nccl.h); throws otherwise.
c10::intrusive_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store,
                                              int rank, int size,
                                              std::chrono::milliseconds timeout);

}  // namespace gantrain::distributed
