#include "gantrain/models/conv_transpose.h"

#include "gantrain/torch_compat.h"

namespace gantrain {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// y = conv_transpose2d(x, w) is the input gradient of y' -> conv2d(y', w) at grad_output x, and
// that is the operation that LibTorch sends to oneDNN for float tensors in every version.
class ConvTransposeByBackward : public torch::autograd::Function<ConvTransposeByBackward> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, int64_t stride, int64_t padding) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    const auto out_side = [&](int64_t dim) {
      return (x.size(dim) - 1) * stride - 2 * padding + weight.size(dim);
    };
    // Only its sizes are read: uninitialised memory, never touched.
    const torch::Tensor shape = torch::empty({x.size(0), weight.size(1), out_side(2), out_side(3)},
                                             x.options());
    return std::get<0>(at::convolution_backward(x, shape, weight, c10::nullopt, {stride},
                                                {padding}, {1}, /*transposed=*/false, {0},
                                                /*groups=*/1, {true, false, false}));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& weight = saved[1];
    const int64_t stride = ctx->saved_data["stride"].toInt();
    const int64_t padding = ctx->saved_data["padding"].toInt();
    const torch::Tensor dy = grads[0].contiguous();
    torch::Tensor dx, dweight;
    if (ctx->needs_input_grad(0)) dx = torch::conv2d(dy, weight, {}, stride, padding);
    if (ctx->needs_input_grad(1))
      dweight = std::get<1>(at::convolution_backward(x, dy, weight, c10::nullopt, {stride},
                                                     {padding}, {1}, /*transposed=*/false, {0},
                                                     /*groups=*/1, {false, true, false}));
    return {dx, dweight, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor conv_transpose2d_by_conv_backward(const torch::Tensor& x, const torch::Tensor& weight,
                                                int64_t stride, int64_t padding) {
  return ConvTransposeByBackward::apply(x, weight, stride, padding);
}

torch::Tensor conv_transpose2d(const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, int64_t stride, int64_t padding) {
  if (!compat::slow_cpu_conv_transpose(x))
    return torch::conv_transpose2d(x, weight, bias, stride, padding);
  torch::Tensor y = conv_transpose2d_by_conv_backward(x, weight, stride, padding);
  return bias.defined() ? y + bias.view({1, -1, 1, 1}) : y;
}

}  // namespace gantrain
