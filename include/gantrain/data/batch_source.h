#pragma once
/// Where the trainer gets real batches from; tests feed tensors through it directly.
#include <torch/torch.h>

#include <cstdint>
#include <optional>

#include "gantrain/data/batch.h"

namespace gantrain {

/// This process's part of every global batch in data-parallel training: rank r of w takes rows
/// [r * b, (r + 1) * b) of each global batch of w * b, drawn from one stream every rank draws
/// alike. The default is a single process holding the whole batch.
struct Shard {
  int64_t rank = 0;
  int64_t world_size = 1;
};

/// Where a shuffled source stands in its stream (a checkpoint keeps it: io/run_state.h).
struct BatchPosition {
  int64_t epoch = 0;     ///< epochs begun
  int64_t position = 0;  ///< rows of the current epoch's order already drawn
  torch::Tensor order;   ///< the current epoch's permutation; undefined before the first batch
};

/// A stream of real batches on the training device, with a resumable position.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// Next batch of real samples [batch_size, data_dim] on the training device, with their labels
  /// where the source has them.
  virtual Batch next_batch() = 0;
  /// Current epoch, 1-based (1 for endless sources).
  virtual int64_t epoch() const = 0;
  /// Batches in one epoch; 0 for an endless source.
  virtual int64_t batches_per_epoch() const = 0;
  /// The position in the stream; nullopt for a source whose draws come from the global random
  /// stream alone (its state in a checkpoint is the random state).
  virtual std::optional<BatchPosition> position() const { return std::nullopt; }
  /// Continues from a position that position() returned; throws c10::Error when it does not fit
  /// this source.
  virtual void restore(const BatchPosition& position) { (void)position; }
};

/// Shuffled mini-batches from one resident uint8 tensor [N, D], scaled to [-1, 1] per batch.
/// Reshuffled each epoch with the device's default generator; the last partial batch is dropped.
/// With a shard, each rank returns its rows of the global batch (every rank shuffles alike).
/// With `mirror_width`, rows are images whose lines are that wide, and each is flipped
/// left-right with probability 1/2 (data.mirror), drawn from the device's default generator.
/// With `labels`, each batch carries its rows' labels.
class TensorBatches : public BatchSource {
 public:
  /// `data` [N, D] uint8 already on the training device; global batch_size <= N, a multiple of
  /// shard.world_size; mirror_width 0 (no flips) or a divisor of D; labels undefined or [N]
  /// int64 on the same device.
  TensorBatches(torch::Tensor data, int64_t batch_size, Shard shard = {},
                int64_t mirror_width = 0, torch::Tensor labels = {});
  Batch next_batch() override;
  int64_t epoch() const override { return epoch_; }
  int64_t batches_per_epoch() const override { return data_.size(0) / batch_size_; }
  std::optional<BatchPosition> position() const override;
  void restore(const BatchPosition& position) override;

 private:
  torch::Tensor data_;
  torch::Tensor labels_;
  int64_t batch_size_;  // global
  Shard shard_;
  int64_t mirror_width_;
  torch::Tensor order_;  // permutation of the current epoch
  int64_t position_ = 0;
  int64_t epoch_ = 0;
};

}  // namespace gantrain
