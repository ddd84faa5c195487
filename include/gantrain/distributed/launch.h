#pragma once
/// `gantrain --nproc N`: start N local workers of this executable, as torchrun --nproc-per-node
/// would, and wait for them (docs/distributed.md).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace gantrain::distributed {

/// Where the workers of this machine fit in the whole group.
struct LaunchOptions {
  int64_t nproc = 1;                  ///< workers on this machine
  int64_t nnodes = 1;                 ///< machines
  int64_t node_rank = 0;              ///< this machine's index; node 0 hosts the store
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 0;            ///< 0: any free port (one machine only)
  std::chrono::seconds timeout{300};  ///< train.dist_timeout
};

/// Starts the workers with RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT and
/// torchrun's TORCHELASTIC_* variables set, each running this executable with `worker_args`.
/// Node 0 hosts the rendezvous store. Forwards SIGINT, SIGTERM and SIGHUP; a worker gets SIGTERM
/// if the launcher dies. Once one worker fails, the others get train.dist_timeout plus 10 s to
/// stop on their own before they are killed.
/// Returns 0 when all succeed, else the first failing worker's exit code (128 + signal).
int launch_workers(const LaunchOptions& options, const std::vector<std::string>& worker_args);

}  // namespace gantrain::distributed
