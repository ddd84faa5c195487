#include "gantrain/data/batch_source.h"

namespace gantrain {

TensorBatches::TensorBatches(torch::Tensor data, int64_t batch_size, Shard shard,
                             int64_t mirror_width, torch::Tensor labels)
    : data_(std::move(data)),
      labels_(std::move(labels)),
      batch_size_(batch_size),
      shard_(shard),
      mirror_width_(mirror_width) {
  TORCH_CHECK(data_.dim() == 2 && data_.scalar_type() == torch::kByte,
              "TensorBatches: expected [N, D] uint8 data, got ", data_.sizes());
  TORCH_CHECK(batch_size_ >= 1 && batch_size_ <= data_.size(0), "TensorBatches: batch size ",
              batch_size_, " must be in [1, ", data_.size(0), "]");
  TORCH_CHECK(shard_.world_size >= 1 && shard_.rank >= 0 && shard_.rank < shard_.world_size &&
                  batch_size_ % shard_.world_size == 0,
              "TensorBatches: batch size ", batch_size_, " does not split among ",
              shard_.world_size, " ranks");
  TORCH_CHECK(mirror_width_ >= 0 && (mirror_width_ == 0 || data_.size(1) % mirror_width_ == 0),
              "TensorBatches: rows of ", data_.size(1), " do not split into lines of ", mirror_width_);
  TORCH_CHECK(!labels_.defined() || (labels_.dim() == 1 && labels_.size(0) == data_.size(0) &&
                                     labels_.scalar_type() == torch::kLong),
              "TensorBatches: expected [", data_.size(0), "] int64 labels");
}

Batch TensorBatches::next_batch() {
  if (!order_.defined() || position_ + batch_size_ > data_.size(0)) {
    order_ = torch::randperm(data_.size(0), torch::TensorOptions().device(data_.device()));
    position_ = 0;
    ++epoch_;
  }
  const int64_t rows = batch_size_ / shard_.world_size;
  torch::Tensor index = order_.narrow(0, position_ + shard_.rank * rows, rows);
  position_ += batch_size_;
  // uint8 [0, 255] -> float [-1, 1]; only the batch is ever converted.
  torch::Tensor batch = data_.index_select(0, index).to(torch::kFloat).div_(127.5).sub_(1.0);
  torch::Tensor labels = labels_.defined() ? labels_.index_select(0, index) : labels_;
  if (mirror_width_ == 0) return {batch, labels};
  // Drawn for the global batch, like its rows: ranks do not repeat each other's flips.
  torch::Tensor flip =
      torch::rand({batch_size_, 1}, batch.options()).narrow(0, shard_.rank * rows, rows).lt(0.5);
  torch::Tensor lines = batch.view({rows, -1, mirror_width_});
  return {torch::where(flip.view({rows, 1, 1}), lines.flip({2}), lines).view({rows, -1}), labels};
}

std::optional<BatchPosition> TensorBatches::position() const {
  return BatchPosition{epoch_, position_, order_};
}

void TensorBatches::restore(const BatchPosition& p) {
  TORCH_CHECK(p.epoch >= 0 && p.position >= 0 && p.position <= data_.size(0),
              "checkpoint's data position is out of range");
  if (p.order.defined()) {
    TORCH_CHECK(p.order.numel() == data_.size(0), "checkpoint's data order has ", p.order.numel(),
                " entries but the data set has ", data_.size(0), " images");
    order_ = p.order.to(data_.device());
  }
  epoch_ = p.epoch;
  position_ = p.position;
}

}  // namespace gantrain
