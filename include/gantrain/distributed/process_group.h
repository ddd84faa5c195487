#pragma once
/// Data-parallel ranks on PyTorch's c10d (docs/distributed.md): who this process is, as its
/// launcher says, and the few collectives gantrain needs. c10d's types, and the changes of its
/// C++ API between LibTorch 1.13 and 2.x, stay inside src/distributed/.
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gantrain/choices.h"
#include "gantrain/error.h"

namespace gantrain::distributed {

/// A collective failed because a rank is gone (exited, killed, or silent past the timeout).
struct LostRank : Error {
  using Error::Error;
};

/// A worker process as its launcher (gantrain --nproc, torchrun) describes it in the
/// environment: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_*.
struct WorkerEnv {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;     ///< rank on this machine: picks the GPU
  std::string master_addr;    ///< host of the rendezvous store
  int64_t master_port = 0;
  bool agent_store = false;   ///< the launcher hosts the store (TORCHELASTIC_USE_AGENT_STORE)
  int64_t restart_count = 0;  ///< TORCHELASTIC_RESTART_COUNT: keys of each attempt are apart
};

/// The worker's description; nullopt when WORLD_SIZE is unset (a plain, single-process run).
/// Throws ConfigError naming a missing or malformed variable.
std::optional<WorkerEnv> worker_env_from_environment();

/// Whether this LibTorch build has c10d's NCCL backend compiled in (CUDA builds).
bool nccl_available();

/// One process's membership of a group of ranks: the rendezvous store and a Gloo or NCCL
/// backend. Collectives block; a rank that is lost (exited, killed, or silent for `timeout`)
/// makes them throw LostRank naming it.
class ProcessGroup {
 public:
  /// Rendezvous through c10d's TCPStore at env.master_addr:master_port (hosted by rank 0 unless
  /// the launcher hosts it), then connects `backend` (gloo or nccl, not auto) on `device`.
  static std::unique_ptr<ProcessGroup> join(const WorkerEnv& env, DistBackend backend,
                                            torch::Device device, std::chrono::seconds timeout);
  ~ProcessGroup();

  int64_t rank() const;
  int64_t world_size() const;

  /// Sums `tensor` (on the group's device) in place over all ranks; every rank gets the same bits.
  void all_reduce_sum(torch::Tensor& tensor);
  /// Every rank's `tensor` (same shape and type everywhere), stacked [world_size, ...] in rank
  /// order, on the CPU.
  torch::Tensor all_gather(const torch::Tensor& tensor);
  /// Leaves this rank's fatal error in the store, so that the others name it when they stop.
  void publish_error(const std::string& what) noexcept;

 private:
  struct Impl;
  explicit ProcessGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantrain::distributed
