#include "gantrain/metrics/even_bits_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gantrain {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// KL(p || uniform over the 64 evens) = sum of p log p over the evens seen + log 64, the
// definition of kl_from_uniform (metrics/sample_quality.h).
double kl_even_from_uniform(const std::array<int64_t, 128>& counts) {
  int64_t total = 0;
  for (size_t v = 0; v < counts.size(); v += 2) total += counts[v];
  if (total == 0) return kNan;
  double sum = 0;
  for (size_t v = 0; v < counts.size(); v += 2) {
    if (counts[v] == 0) continue;
    const double p = static_cast<double>(counts[v]) / static_cast<double>(total);
    sum += p * std::log(p);
  }
  return std::max(sum + std::log(64.0), 0.0);
}

}  // namespace

EvenBitsStats even_bits_stats(const std::vector<int64_t>& integers) {
  EvenBitsStats s;
  for (const int64_t v : integers) {
    ++s.samples;
    if (v % 2 == 0) ++s.even;
    if (v >= 0 && v < static_cast<int64_t>(s.counts.size()))
      ++s.counts[static_cast<size_t>(v)];
    else
      ++s.out_of_range;
  }
  for (size_t v = 0; v < s.counts.size(); ++v) {
    if (s.counts[v] == 0) continue;
    ++s.distinct;
    if (v % 2 == 0) ++s.distinct_even;
  }
  s.even_fraction =
      s.samples > 0 ? static_cast<double>(s.even) / static_cast<double>(s.samples) : kNan;
  s.kl_even_uniform = kl_even_from_uniform(s.counts);
  return s;
}

}  // namespace gantrain
