#pragma once
/// The transposed convolution of DCGAN's generator, routed to oneDNN where LibTorch's own CPU
/// kernel is the slow im2col one (1.13 for float tensors: 3-30x slower, docs/performance.md).
#include <torch/torch.h>

#include <cstdint>

namespace gantrain {

/// torch::conv_transpose2d(x, weight, bias, stride, padding) with square stride and padding and
/// no output padding; takes conv_transpose2d_by_conv_backward where compat says it is faster.
torch::Tensor conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, int64_t stride, int64_t padding);

/// The same without bias, as the input gradient of the convolution it transposes (oneDNN's
/// backward-data kernel); its backward is that convolution (input gradient) and the
/// convolution's weight gradient. Differentiable once (no double backward).
torch::Tensor conv_transpose2d_by_conv_backward(const torch::Tensor& x, const torch::Tensor& weight,
                                                int64_t stride, int64_t padding);

}  // namespace gantrain
