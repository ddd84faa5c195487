#pragma once
/// DDP's gradient averaging for the trainer: between backward and the optimizer step, each
/// network's gradients become their mean over the ranks, in one all-reduce of its flat
/// gradient buffer.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gantrain::distributed {

class ProcessGroup;

/// One network: its name for errors, its parameters in a fixed order (the same on every rank)
/// and the flat buffer holding their gradients in that order, then a few spare slots
/// (FlatAdam::gradient_buffer), which is all-reduced as it is.
struct SyncedNetwork {
  std::string name;
  std::vector<torch::Tensor> params;
  torch::Tensor gradients;
};

/// Averages gradients across ranks and checks that the replicas stay identical.
class GradientSync {
 public:
  GradientSync(ProcessGroup& group, std::vector<SyncedNetwork> networks);

  /// Replaces the gradients of network `index` by their mean over the ranks. `values` (a few
  /// float statistics: the loss, D's outputs, votes) ride on the same all-reduce; returns their
  /// means. Afterwards every rank holds the same bits, so decisions made from them (skip a
  /// non-finite update, stop) are the same on every rank without another collective.
  torch::Tensor average(size_t index, const torch::Tensor& values);

  /// Throws gantrain::Error if any rank's weights or random states (CPU, and the device's on
  /// CUDA) differ from rank 0's: a checksum of each, all-gathered (a few integers per rank).
  void check_replicas(int64_t step);

  /// Bytes all-reduced so far, and the wall time spent in those all-reduces (waiting for the
  /// slowest rank included; on CUDA only the launch, NCCL being asynchronous).
  int64_t bytes_reduced() const { return bytes_reduced_; }
  double seconds_reducing() const { return seconds_reducing_; }

 private:
  ProcessGroup& group_;
  std::vector<SyncedNetwork> networks_;
  int64_t bytes_reduced_ = 0;
  double seconds_reducing_ = 0;
};

}  // namespace gantrain::distributed
