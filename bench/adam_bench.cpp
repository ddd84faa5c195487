// Adam's step alone, for docs/performance.md, at the MNIST MLP's sizes (G 1.49M and D 1.46M
// parameters) and at even-bits' (56 and 8): LibTorch's torch::optim::Adam over the layer
// tensors; gantrain's kernel (optim/adam_kernel.h) over flat buffers; LibTorch 2.x's own fused
// kernel (at::_fused_adam_) over the same flat buffers; and FlatAdam::step, which picks one of
// the last two and zeroes the gradients. Microseconds per update of both networks.
//   adam_bench [--threads N]    (default 0: gantrain's default threads, as it trains)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "gantrain/device.h"
#include "gantrain/optim/adam_kernel.h"
#include "gantrain/optim/flat_adam.h"
#include "gantrain/torch_compat.h"

namespace {

// The weight and bias tensors of Linear layers of these widths.
std::vector<torch::Tensor> layers(const std::vector<int64_t>& widths) {
  std::vector<torch::Tensor> params;
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    params.push_back(torch::randn({widths[i + 1], widths[i]}).requires_grad_());
    params.push_back(torch::randn({widths[i + 1]}).requires_grad_());
  }
  return params;
}

double microseconds_per_call(const std::function<void()>& call, int repeats) {
  for (int i = 0; i < 5; ++i) call();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) call();
  return 1e6 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
         repeats;
}

// One line of figures for G and D of these widths.
void bench(const char* name, const std::vector<std::vector<int64_t>>& networks, int repeats) {
  std::vector<std::unique_ptr<torch::optim::Adam>> libtorch;
  std::vector<std::unique_ptr<gantrain::FlatAdam>> flat;
  std::vector<std::vector<torch::Tensor>> buffers;  // param, grad, exp_avg, exp_avg_sq, step
  for (const auto& widths : networks) {
    std::vector<torch::Tensor> a = layers(widths), b = layers(widths);
    for (auto& p : a) p.mutable_grad() = torch::randn_like(p);
    libtorch.push_back(std::make_unique<torch::optim::Adam>(a, torch::optim::AdamOptions(2e-4)));
    flat.push_back(std::make_unique<gantrain::FlatAdam>(b, gantrain::AdamHyper{2e-4}));
    const int64_t n = flat.back()->numel();
    buffers.push_back({torch::randn({n}), torch::randn({n}), torch::zeros({n}), torch::zeros({n}),
                       torch::zeros({})});
  }
  const double reference = microseconds_per_call([&] {
    for (auto& o : libtorch) o->step();
  }, repeats);
  int64_t t = 0;
  const double kernel = microseconds_per_call([&] {
    ++t;
    for (auto& b : buffers)
      gantrain::adam_update(gantrain::adam_scalars(2e-4, 0.9, 0.999, 1e-8, t), b[0].data_ptr<float>(),
                            b[1].data_ptr<float>(), b[2].data_ptr<float>(), b[3].data_ptr<float>(),
                            b[0].numel());
  }, repeats);
  bool have_fused = true;
  const double fused = microseconds_per_call([&] {
    for (auto& b : buffers) {
      b[4].add_(1);
      have_fused = gantrain::compat::libtorch_fused_adam(b[0], b[1], b[2], b[3], b[4], 2e-4, 0.9,
                                                         0.999, 1e-8);
    }
  }, repeats);
  const double flat_adam = microseconds_per_call([&] {
    for (auto& o : flat) o->step();
  }, repeats);
  std::printf("%-9s torch_optim_adam_us %9.1f  gantrain_kernel_us %9.1f  libtorch_fused_us ", name,
              reference, kernel);
  if (have_fused) std::printf("%9.1f", fused);
  else std::printf("%9s", "n/a");
  std::printf("  flat_adam_us %9.1f\n", flat_adam);
}

}  // namespace

int main(int argc, char** argv) {
  gantrain::use_vector_openblas_kernels(argv);  // the kernels gantrain runs
  int64_t threads = 0;
  if (argc == 3 && !std::strcmp(argv[1], "--threads")) threads = std::stoll(argv[2]);
  gantrain::set_compute_threads(threads);
  torch::manual_seed(0);
  std::printf("LibTorch %s, %d thread(s) (n/a: no fused Adam in this LibTorch)\n", TORCH_VERSION,
              at::get_num_threads());
  bench("mnist", {{100, 256, 512, 1024, 784}, {784, 1024, 512, 256, 1}}, 100);
  bench("even-bits", {{7, 7}, {7, 1}}, 20000);
}
