#include "gantrain/metrics/memorization.h"

#include <algorithm>
#include <limits>

namespace gantrain {
namespace {

constexpr int64_t kMaxSide = 16;
constexpr int64_t kBlockElements = 10'000'000;  // query rows x references per distance block
constexpr int64_t kConvertElements = 4'000'000;  // input values converted at once
constexpr int64_t kMaxTile = 128;
// A sample nearer to a training image than this share of the median training nearest-neighbour
// distance counts as memorised: a copy with small changes lands far below it, while fresh draws
// from the data's distribution seldom do (the training images show how seldom:
// training_share).
constexpr double kMemorizedFraction = 0.5;

double median_of(const torch::Tensor& values) {
  // The mean of the two middle values for an even count (torch's median takes the lower one).
  torch::Tensor sorted = std::get<0>(values.to(torch::kCPU, torch::kDouble).sort());
  const int64_t n = sorted.numel();
  return (sorted[(n - 1) / 2].item<double>() + sorted[n / 2].item<double>()) / 2;
}

// Images [n, c*side*side] -> [n, c, side, side] float in [-1, 1].
torch::Tensor as_unit_images(const torch::Tensor& images, int64_t channels, int64_t side) {
  torch::Tensor x = images.scalar_type() == torch::kByte
                        ? images.to(torch::kFloat).div_(127.5).sub_(1.0)
                        : images.to(torch::kFloat);
  return x.reshape({-1, channels, side, side});
}

}  // namespace

int64_t memorization_side(int64_t side) { return std::min(side, kMaxSide); }

torch::Tensor memorization_space(const torch::Tensor& images, int64_t channels, int64_t side) {
  TORCH_CHECK(images.dim() == 2 && images.size(1) == channels * side * side,
              "memorization_space: expected [N, ", channels * side * side, "], got ",
              images.sizes());
  torch::NoGradGuard no_grad;
  const int64_t s = memorization_side(side);
  const int64_t rows = std::max<int64_t>(1, kConvertElements / std::max<int64_t>(1, images.size(1)));
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < images.size(0); start += rows) {
    torch::Tensor x = as_unit_images(
        images.narrow(0, start, std::min(rows, images.size(0) - start)), channels, side);
    if (s != side) x = torch::adaptive_avg_pool2d(x, {s, s});
    parts.push_back(x.add(1).div_(2).clamp_(0, 1).flatten(1));  // add: x may be the caller's
  }
  if (parts.empty()) return torch::empty({0, channels * s * s}, images.options().dtype(torch::kFloat));
  return torch::cat(parts);
}

NearestNeighbours nearest_neighbours(const torch::Tensor& query, const torch::Tensor& reference,
                                     const torch::Tensor& exclude) {
  TORCH_CHECK(query.dim() == 2 && reference.dim() == 2 && query.size(1) == reference.size(1) &&
                  reference.size(0) >= 1,
              "nearest_neighbours: expected query [Q, D] and reference [R >= 1, D], got ",
              query.sizes(), " and ", reference.sizes());
  torch::NoGradGuard no_grad;
  torch::Tensor q = query.to(torch::kFloat), r = reference.to(torch::kFloat);
  torch::Tensor r_norms = r.pow(2).sum(1);
  torch::Tensor skip = exclude.defined() ? exclude.to(q.device(), torch::kLong) : exclude;
  const int64_t chunk = std::max<int64_t>(1, kBlockElements / r.size(0));
  std::vector<torch::Tensor> indices;
  for (int64_t start = 0; start < q.size(0); start += chunk) {
    const int64_t rows = std::min(chunk, q.size(0) - start);
    torch::Tensor block = q.narrow(0, start, rows);
    // |q|^2 + |r|^2 - 2 q.r: one matrix product a block; only the argmin is kept from it.
    torch::Tensor d = torch::addmm(r_norms.unsqueeze(0), block, r.t(), 1, -2);
    if (skip.defined()) {
      torch::Tensor own = skip.narrow(0, start, rows);
      torch::Tensor valid = own.ge(0);
      d.index_put_({torch::arange(rows, own.options()).masked_select(valid), own.masked_select(valid)},
                   std::numeric_limits<float>::infinity());
    }
    indices.push_back(d.argmin(1));
  }
  NearestNeighbours out;
  out.indices = indices.empty() ? torch::empty({0}, torch::kLong) : torch::cat(indices).cpu();
  // The expansion above loses digits when the two are close (a copy shows ~1e-3, not 0):
  // the distance of each chosen pair is taken again directly.
  torch::Tensor chosen = r.index_select(0, out.indices.to(r.device()));
  out.distances = (q - chosen).to(torch::kDouble).pow(2).sum(1).sqrt().cpu();
  return out;
}

MemorizationCheck::MemorizationCheck(const torch::Tensor& training, int64_t channels,
                                     int64_t side, torch::Device device, int64_t subset)
    : channels_(channels), side_(side) {
  TORCH_CHECK(training.dim() == 2 && training.size(0) >= 2 &&
                  training.size(1) == channels * side * side,
              "MemorizationCheck: expected training images [N >= 2, ", channels * side * side,
              "], got ", training.sizes());
  training_ = memorization_space(training, channels, side).to(device);
  // A fixed subset, so the scale is the same at every evaluation of a run.
  const int64_t n = training_.size(0), m = std::min(std::max<int64_t>(subset, 1), n);
  at::Generator pick = at::make_generator<at::CPUGeneratorImpl>(11);
  torch::Tensor rows = torch::randperm(n, pick, torch::kLong).narrow(0, 0, m);
  training_nearest_ =
      nearest_neighbours(training_.index_select(0, rows.to(device)), training_, rows).distances;
}

MemorizationReport MemorizationCheck::measure(const torch::Tensor& samples, int64_t pairs) const {
  TORCH_CHECK(samples.dim() == 2 && samples.size(0) >= 1 &&
                  samples.size(1) == channels_ * side_ * side_,
              "MemorizationCheck: expected samples [M >= 1, ", channels_ * side_ * side_,
              "], got ", samples.sizes());
  const NearestNeighbours found = nearest_neighbours(
      memorization_space(samples.to(training_.device()), channels_, side_), training_);
  MemorizationReport r;
  r.sample_median = median_of(found.distances);
  r.training_median = median_of(training_nearest_);
  r.threshold = kMemorizedFraction * r.training_median;
  r.nn_ratio = r.training_median > 0 ? r.sample_median / r.training_median
                                     : std::numeric_limits<double>::quiet_NaN();
  r.memorized_share = found.distances.lt(r.threshold).to(torch::kDouble).mean().item<double>();
  r.training_share = training_nearest_.lt(r.threshold).to(torch::kDouble).mean().item<double>();
  const int64_t k = std::min(pairs, found.distances.numel());
  if (k > 0) {
    torch::Tensor order = std::get<1>(found.distances.topk(k, 0, /*largest=*/false));
    for (int64_t i = 0; i < k; ++i) {
      const int64_t s = order[i].item<int64_t>();
      r.closest.push_back({s, found.indices[s].item<int64_t>(), found.distances[s].item<double>()});
    }
  }
  return r;
}

Image closest_pairs_grid(const std::vector<NearestPair>& pairs, const torch::Tensor& samples,
                         const torch::Tensor& training, int64_t channels, int64_t side) {
  if (pairs.empty()) return {};
  torch::NoGradGuard no_grad;
  std::vector<int64_t> sample_rows, training_rows;
  for (const NearestPair& p : pairs) {
    sample_rows.push_back(p.sample);
    training_rows.push_back(p.training);
  }
  auto rows_of = [&](const torch::Tensor& images, const std::vector<int64_t>& rows) {
    return as_unit_images(images.index_select(0, torch::tensor(rows).to(images.device())).cpu(),
                          channels, side);
  };
  torch::Tensor tiles = torch::cat({rows_of(samples, sample_rows), rows_of(training, training_rows)});
  if (side > kMaxTile) tiles = torch::adaptive_avg_pool2d(tiles, {kMaxTile, kMaxTile});
  tiles = tiles.clamp(-1, 1).contiguous();
  const int64_t tile = tiles.size(2);
  return make_grid(tiles.data_ptr<float>(), tiles.size(0), channels, tile, tile,
                   static_cast<int64_t>(pairs.size()));
}

}  // namespace gantrain
