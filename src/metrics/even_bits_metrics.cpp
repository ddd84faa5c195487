#include "gantrain/metrics/even_bits_metrics.h"

#include <limits>

#include "gantrain/metrics/sample_quality.h"

namespace gantrain {

EvenBitsStats even_bits_stats(const torch::Tensor& integers) {
  TORCH_CHECK(integers.dim() == 1 && integers.numel() > 0, "even_bits_stats: expected [N > 0]");
  torch::Tensor counts = torch::bincount(integers.to(torch::kCPU), {}, 128);
  TORCH_CHECK(counts.size(0) == 128, "even_bits_stats: values must be in [0, 128)");
  torch::Tensor present = counts > 0;
  EvenBitsStats s;
  s.samples = integers.numel();
  s.even_fraction = counts.slice(0, 0, 128, 2).sum().item<double>() / static_cast<double>(s.samples);
  s.distinct = present.sum().item<int64_t>();
  s.distinct_even = present.slice(0, 0, 128, 2).sum().item<int64_t>();
  torch::Tensor even_counts = counts.slice(0, 0, 128, 2);
  s.kl_even_uniform = even_counts.sum().item<int64_t>() > 0
                          ? kl_from_uniform(even_counts)
                          : std::numeric_limits<double>::quiet_NaN();
  return s;
}

}  // namespace gantrain
