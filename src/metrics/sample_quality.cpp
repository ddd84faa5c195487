#include "gantrain/metrics/sample_quality.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gantrain {
namespace {

// Distance-block size: rows x reference points at most this many floats (~40 MB).
constexpr int64_t kBlockElements = 10'000'000;
constexpr double kPi = 3.14159265358979323846;

// Squared Euclidean distances [a rows, b rows] as |a|^2 + |b|^2 - 2 a.b: one matrix product.
torch::Tensor squared_distances(const torch::Tensor& a, const torch::Tensor& b,
                                const torch::Tensor& b_norms) {
  torch::Tensor d = torch::addmm(b_norms.unsqueeze(0), a, b.t(), /*beta=*/1, /*alpha=*/-2);
  return (d + a.pow(2).sum(1, /*keepdim=*/true)).clamp_min_(0);
}

torch::Tensor as_float(const torch::Tensor& x) { return x.to(torch::kFloat).contiguous(); }

// Calls visit(first_row, distances [rows, N]) for consecutive row blocks of `query`.
template <class Visit>
void for_each_distance_block(const torch::Tensor& query, const torch::Tensor& reference,
                             Visit visit) {
  torch::NoGradGuard no_grad;
  torch::Tensor q = as_float(query), r = as_float(reference);
  torch::Tensor r_norms = r.pow(2).sum(1);
  const int64_t chunk = std::max<int64_t>(1, kBlockElements / std::max<int64_t>(1, r.size(0)));
  for (int64_t start = 0; start < q.size(0); start += chunk) {
    int64_t rows = std::min(chunk, q.size(0) - start);
    visit(start, squared_distances(q.narrow(0, start, rows), r, r_norms));
  }
}

// Sum of the cubic polynomial kernel (a.b / dims + 1)^3 over all pairs (rows of a, rows of b),
// in row blocks; each block's sum is taken in double so that 10^8 terms keep their digits.
double polynomial_kernel_sum(const torch::Tensor& a, const torch::Tensor& b) {
  const double dims = static_cast<double>(a.size(1));
  const int64_t chunk = std::max<int64_t>(1, kBlockElements / std::max<int64_t>(1, b.size(0)));
  double total = 0;
  for (int64_t start = 0; start < a.size(0); start += chunk) {
    torch::Tensor k = a.narrow(0, start, std::min(chunk, a.size(0) - start)).mm(b.t());
    total += k.div_(dims).add_(1).pow_(3).sum(torch::kDouble).item<double>();
  }
  return total;
}

// Squared distance of each point of x [N, D] to its k-th nearest other point of x.
torch::Tensor kth_neighbour_radii(const torch::Tensor& x, int64_t k) {
  TORCH_CHECK(x.size(0) > k, "precision_recall: need more than k = ", k, " points, got ",
              x.size(0));
  torch::Tensor radii = torch::empty({x.size(0)}, x.options().dtype(torch::kFloat));
  for_each_distance_block(x, x, [&](int64_t start, const torch::Tensor& d) {
    // The k+1-th smallest: the point itself is at distance 0.
    radii.narrow(0, start, d.size(0)).copy_(std::get<0>(torch::kthvalue(d, k + 1, 1)));
  });
  return radii;
}

// Share of `query` points inside any ball (centre reference[i], squared radius radii[i]).
double share_inside(const torch::Tensor& query, const torch::Tensor& reference,
                    const torch::Tensor& radii) {
  int64_t inside = 0;
  for_each_distance_block(query, reference, [&](int64_t, const torch::Tensor& d) {
    inside += (d <= radii.unsqueeze(0)).any(1).sum().item<int64_t>();
  });
  return static_cast<double>(inside) / static_cast<double>(query.size(0));
}

// Per-point log-likelihoods [sigmas, M] of test [M, D] under Parzen windows on samples.
torch::Tensor parzen_point_values(const torch::Tensor& samples, const torch::Tensor& test,
                                  const std::vector<double>& sigmas) {
  TORCH_CHECK(samples.dim() == 2 && test.dim() == 2 && samples.size(1) == test.size(1) &&
                  samples.size(0) > 0 && test.size(0) > 0,
              "parzen: expected samples [N > 0, D] and test [M > 0, D]");
  const double n = static_cast<double>(samples.size(0));
  const double dims = static_cast<double>(samples.size(1));
  torch::Tensor values = torch::empty({static_cast<int64_t>(sigmas.size()), test.size(0)},
                                      torch::kDouble);
  for_each_distance_block(test, samples, [&](int64_t start, const torch::Tensor& d) {
    for (size_t s = 0; s < sigmas.size(); ++s) {
      const double sigma = sigmas[s];
      TORCH_CHECK(sigma > 0, "parzen: sigma must be > 0, got ", sigma);
      // log (1/N) sum_i N(x; s_i, sigma^2 I)
      torch::Tensor ll = torch::logsumexp(d * static_cast<float>(-0.5 / (sigma * sigma)), 1)
                             .to(torch::kDouble) -
                         std::log(n) - dims * std::log(sigma * std::sqrt(2 * kPi));
      values[static_cast<int64_t>(s)].narrow(0, start, d.size(0)).copy_(ll);
    }
  });
  return values;
}

}  // namespace

FeatureMoments feature_moments(const torch::Tensor& features) {
  TORCH_CHECK(features.dim() == 2 && features.size(0) >= 2,
              "feature_moments: expected [N >= 2, D], got ", features.sizes());
  torch::NoGradGuard no_grad;
  torch::Tensor x = features.to(torch::kCPU, torch::kDouble);
  torch::Tensor mean = x.mean(0);
  torch::Tensor centred = x - mean;
  return {mean, centred.t().mm(centred) / static_cast<double>(x.size(0) - 1)};
}

double frechet_distance(const FeatureMoments& a, const FeatureMoments& b) {
  TORCH_CHECK(a.mean.sizes() == b.mean.sizes(), "frechet_distance: feature sizes differ");
  torch::NoGradGuard no_grad;
  // tr((C1 C2)^(1/2)) = tr((C1^(1/2) C2 C1^(1/2))^(1/2)): the inner matrix is symmetric
  // positive semi-definite, so symmetric eigensolvers suffice (no general sqrtm).
  auto [w, v] = torch::linalg_eigh(a.covariance);
  torch::Tensor root_a = v.mm(torch::diag(w.clamp_min(0).sqrt())).mm(v.t());
  torch::Tensor inner = root_a.mm(b.covariance).mm(root_a);
  inner = (inner + inner.t()) / 2;  // remove rounding asymmetry before the eigensolver
  double trace_sqrt = torch::linalg_eigvalsh(inner).clamp_min(0).sqrt().sum().item<double>();
  double mean_term = (a.mean - b.mean).pow(2).sum().item<double>();
  double value = mean_term + a.covariance.trace().item<double>() +
                 b.covariance.trace().item<double>() - 2 * trace_sqrt;
  return std::max(value, 0.0);  // tiny negatives are rounding
}

double kernel_inception_distance(const torch::Tensor& real, const torch::Tensor& fake) {
  TORCH_CHECK(real.dim() == 2 && fake.dim() == 2 && real.size(1) == fake.size(1) &&
                  real.size(0) >= 2 && fake.size(0) >= 2 && real.size(1) > 0,
              "kernel_inception_distance: expected real [M >= 2, D] and fake [N >= 2, D], got ",
              real.sizes(), " and ", fake.sizes());
  torch::NoGradGuard no_grad;
  torch::Tensor x = as_float(real), y = as_float(fake).to(x.device());
  const double m = static_cast<double>(x.size(0)), n = static_cast<double>(y.size(0));
  const double dims = static_cast<double>(x.size(1));
  // The unbiased estimator leaves out k(x_i, x_i): whole sums minus their diagonals.
  auto diagonal = [&](const torch::Tensor& z) {
    return z.pow(2).sum(1).div_(dims).add_(1).pow_(3).sum(torch::kDouble).item<double>();
  };
  const double xx = polynomial_kernel_sum(x, x) - diagonal(x);
  const double yy = polynomial_kernel_sum(y, y) - diagonal(y);
  const double xy = polynomial_kernel_sum(x, y);
  return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n);
}

double kl_from_uniform(const torch::Tensor& counts) {
  TORCH_CHECK(counts.dim() == 1 && counts.numel() > 0, "kl_from_uniform: expected [K > 0]");
  torch::Tensor c = counts.to(torch::kCPU, torch::kDouble);
  TORCH_CHECK((c >= 0).all().item<bool>(), "kl_from_uniform: negative count");
  double total = c.sum().item<double>();
  TORCH_CHECK(total > 0, "kl_from_uniform: empty histogram");
  torch::Tensor p = c / total;
  torch::Tensor nonzero = p.masked_select(p > 0);
  // KL(p || 1/K) = sum p log p + log K
  return std::max((nonzero * nonzero.log()).sum().item<double>() + std::log(double(c.numel())),
                  0.0);
}

ClassSummary class_summary(const torch::Tensor& probabilities) {
  TORCH_CHECK(probabilities.dim() == 2 && probabilities.size(0) > 0,
              "class_summary: expected [N > 0, K]");
  torch::NoGradGuard no_grad;
  torch::Tensor p = probabilities.to(torch::kCPU, torch::kDouble);
  const int64_t classes = p.size(1);
  torch::Tensor marginal = p.mean(0, /*keepdim=*/true);
  torch::Tensor log_p = p.clamp_min(1e-30).log();
  torch::Tensor kl = (p * (log_p - marginal.clamp_min(1e-30).log())).sum(1);
  ClassSummary s;
  s.inception_score = std::exp(kl.mean().item<double>());
  torch::Tensor counts = torch::bincount(p.argmax(1), {}, classes);
  s.histogram.assign(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + classes);
  const double threshold = 0.1 * static_cast<double>(p.size(0)) / static_cast<double>(classes);
  for (int64_t c : s.histogram) s.modes_covered += static_cast<double>(c) >= threshold;
  s.kl_uniform = kl_from_uniform(counts);
  return s;
}

PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake,
                                 int64_t k) {
  TORCH_CHECK(real.dim() == 2 && fake.dim() == 2 && real.size(1) == fake.size(1),
              "precision_recall: expected real [N, D] and fake [M, D]");
  PrecisionRecall pr;
  pr.precision = share_inside(fake, real, kth_neighbour_radii(real, k));
  pr.recall = share_inside(real, fake, kth_neighbour_radii(fake, k));
  return pr;
}

ParzenEstimate parzen_log_likelihood(const torch::Tensor& samples, const torch::Tensor& test,
                                     double sigma) {
  torch::Tensor values = parzen_point_values(samples, test, {sigma})[0];
  ParzenEstimate e;
  e.mean = values.mean().item<double>();
  // Population std over sqrt(M), as Goodfellow et al.'s parzen_ll.py computes it.
  e.standard_error = values.std(/*unbiased=*/false).item<double>() /
                     std::sqrt(static_cast<double>(values.numel()));
  e.sigma = sigma;
  return e;
}

double choose_parzen_sigma(const torch::Tensor& samples, const torch::Tensor& validation,
                           const std::vector<double>& candidates) {
  TORCH_CHECK(!candidates.empty(), "choose_parzen_sigma: no candidate widths");
  torch::Tensor means = parzen_point_values(samples, validation, candidates).mean(1);
  return candidates[static_cast<size_t>(means.argmax().item<int64_t>())];
}

std::vector<FeatureMoments> class_moments(const torch::Tensor& features,
                                          const torch::Tensor& labels, int64_t classes) {
  TORCH_CHECK(features.dim() == 2 && labels.dim() == 1 && labels.size(0) == features.size(0),
              "class_moments: expected features [N, D] and labels [N]");
  std::vector<FeatureMoments> out(static_cast<size_t>(classes));
  torch::Tensor cpu_labels = labels.to(torch::kCPU);
  for (int64_t k = 0; k < classes; ++k) {
    torch::Tensor rows = cpu_labels.eq(k).nonzero().flatten().to(features.device());
    if (rows.numel() >= 2) out[k] = feature_moments(features.index_select(0, rows));
  }
  return out;
}

ClassScores class_scores(const torch::Tensor& probabilities, const torch::Tensor& features,
                         const torch::Tensor& labels, const std::vector<FeatureMoments>& real) {
  const auto classes = static_cast<int64_t>(real.size());
  TORCH_CHECK(probabilities.dim() == 2 && probabilities.size(1) == classes &&
                  labels.dim() == 1 && labels.size(0) == probabilities.size(0),
              "class_scores: expected probabilities [N, ", classes, "] and labels [N]");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ClassScores s;
  torch::Tensor predicted = probabilities.argmax(1).to(torch::kCPU);
  torch::Tensor asked = labels.to(torch::kCPU);
  std::vector<FeatureMoments> fake = class_moments(features, asked, classes);
  double fidelity_sum = 0, fid_sum = 0;
  int64_t fidelity_count = 0, fid_count = 0;
  for (int64_t k = 0; k < classes; ++k) {
    torch::Tensor mine = asked.eq(k);
    const int64_t n = mine.sum().item<int64_t>();
    const double fidelity =
        n == 0 ? nan : predicted.eq(k).logical_and(mine).sum().item<double>() / static_cast<double>(n);
    const double fid = fake[k].mean.defined() && real[k].mean.defined()
                           ? frechet_distance(fake[k], real[k])
                           : nan;
    s.fidelity.push_back(fidelity);
    s.fid.push_back(fid);
    if (!std::isnan(fidelity)) fidelity_sum += fidelity, ++fidelity_count;
    if (!std::isnan(fid)) fid_sum += fid, ++fid_count;
  }
  s.mean_fidelity = fidelity_count ? fidelity_sum / fidelity_count : nan;
  s.mean_fid = fid_count ? fid_sum / fid_count : nan;
  return s;
}

}  // namespace gantrain
