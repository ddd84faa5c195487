// The roofline for bench/run.sh: the matrix products of one MNIST training step (gantrain's
// d-first loop, batch 100), counted from the layer shapes and timed one by one with LibTorch at
// those shapes. Prints the FLOPs of a step and the GEMM throughput this machine reaches on them.
//   gemm_bench [--threads N]    (default 0: gantrain's default threads, as it trains)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "gantrain/device.h"

namespace {

struct Gemm {
  int64_t m, k, n;  // [m, k] x [k, n]
  double flops() const { return 2.0 * double(m) * double(k) * double(n); }
};

using Widths = std::vector<int64_t>;

// A Linear layer in -> out on a batch of `b` rows: forward, input gradient, weight gradient.
void forward(std::vector<Gemm>& g, const Widths& w, int64_t b) {
  for (size_t i = 0; i + 1 < w.size(); ++i) g.push_back({b, w[i], w[i + 1]});
}
void backward(std::vector<Gemm>& g, const Widths& w, int64_t b, bool weights, bool first_input) {
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (weights) g.push_back({w[i + 1], b, w[i]});
    if (i > 0 || first_input) g.push_back({b, w[i + 1], w[i]});
  }
}

std::vector<Gemm> mnist_step(int64_t b) {
  const Widths gen = {100, 256, 512, 1024, 784}, disc = {784, 1024, 512, 256, 1};
  std::vector<Gemm> g;
  // Discriminator update: G(z) without grad, D on [real; fake] (2b rows in one pass), D's
  // weight gradients (its first layer's input gradient is not needed: no input requires grad).
  forward(g, gen, b);
  forward(g, disc, 2 * b);
  backward(g, disc, 2 * b, true, false);
  // Generator update: G and D forward, gradients through D's inputs only (its weights are
  // frozen), then G's weight gradients and input gradients (not for the noise).
  forward(g, gen, b);
  forward(g, disc, b);
  backward(g, disc, b, false, true);
  backward(g, gen, b, true, false);
  return g;
}

double time_gemms(const std::vector<Gemm>& gemms, int repeats) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> operands;
  std::vector<torch::Tensor> outputs;
  for (const auto& g : gemms) {
    operands.emplace_back(torch::randn({g.m, g.k}), torch::randn({g.k, g.n}));
    outputs.push_back(torch::empty({g.m, g.n}));
  }
  auto run = [&] {
    for (size_t i = 0; i < gemms.size(); ++i)
      torch::mm_out(outputs[i], operands[i].first, operands[i].second);
  };
  for (int i = 0; i < 5; ++i) run();  // warm up caches and OpenBLAS's threads
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) run();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
}

}  // namespace

int main(int argc, char** argv) {
  gantrain::use_vector_openblas_kernels(argv);  // the kernels gantrain runs
  int threads = 0;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::stoi(argv[i + 1]);
  gantrain::set_compute_threads(threads);
  torch::NoGradGuard no_grad;

  std::vector<Gemm> step = mnist_step(100);
  double flops = 0;
  for (const auto& g : step) flops += g.flops();
  double seconds = time_gemms(step, 50);
  std::printf("step_gemm_count %zu\n", step.size());
  std::printf("step_gflop %.4f\n", flops / 1e9);
  std::printf("gemm_seconds_per_step %.6f\n", seconds);
  std::printf("gemm_gflops_model_shapes %.1f\n", flops / seconds / 1e9);
  Gemm big{1024, 1024, 1024};
  std::printf("gemm_gflops_1024_cubed %.1f\n", big.flops() / time_gemms({big}, 20) / 1e9);
  return 0;
}
