#include "gantrain/data/bits.h"

namespace gantrain {
namespace {

torch::Tensor bit_shifts(int64_t width, torch::Device device) {
  // width-1, ..., 1, 0: column 0 is the most significant bit.
  return torch::arange(width - 1, -1, -1, torch::TensorOptions().dtype(torch::kLong).device(device));
}

}  // namespace

torch::Tensor to_bits(const torch::Tensor& integers, int64_t width) {
  TORCH_CHECK(integers.dim() == 1, "to_bits: expected [N] integers, got ", integers.sizes());
  torch::Tensor shifts = bit_shifts(width, integers.device());
  return integers.to(torch::kLong).unsqueeze(1).bitwise_right_shift(shifts).bitwise_and(1).to(
      torch::kFloat);
}

torch::Tensor from_bits(const torch::Tensor& bits) {
  TORCH_CHECK(bits.dim() == 2, "from_bits: expected [N, width], got ", bits.sizes());
  torch::Tensor weights = torch::ones({1}, torch::TensorOptions().dtype(torch::kLong).device(bits.device()))
                              .bitwise_left_shift(bit_shifts(bits.size(1), bits.device()));
  return (bits > 0.5).to(torch::kLong).mul(weights).sum(1);
}

}  // namespace gantrain
