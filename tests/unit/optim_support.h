#pragma once
// Shared by the optimizer tests: a small MLP's parameters and their gradients.
#include <torch/torch.h>

#include <algorithm>
#include <vector>

namespace gantrain::testing_support {

// The tensors of a small MLP: two weights and two biases.
inline std::vector<torch::Tensor> mlp_params() {
  return {torch::randn({64, 32}).requires_grad_(), torch::randn({64}).requires_grad_(),
          torch::randn({1, 64}).requires_grad_(), torch::randn({1}).requires_grad_()};
}

inline std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

inline double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
  return worst;
}

// Gradients of the parameters' product-sum loss on input x (fresh autograd every call).
inline void backward_on(const std::vector<torch::Tensor>& p, const torch::Tensor& x) {
  torch::Tensor h = torch::leaky_relu(torch::addmm(p[1], x, p[0].t()), 0.2);
  torch::addmm(p[3], h, p[2].t()).square().mean().backward();
}

}  // namespace gantrain::testing_support
