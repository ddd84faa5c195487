#pragma once
/// Integers as big-endian bit vectors (the even-bits task: 56 -> 0111000).
#include <torch/torch.h>

#include <cstdint>

namespace gantrain {

/// [N] integers in [0, 2^width) -> [N, width] float {0, 1}, most significant bit first.
torch::Tensor to_bits(const torch::Tensor& integers, int64_t width);

/// [N, width] values -> [N] int64, each value read as 1 when > 0.5.
torch::Tensor from_bits(const torch::Tensor& bits);

}  // namespace gantrain
