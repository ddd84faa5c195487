#pragma once
/// Measures of how close generated samples are to real data: pure tensor math, no models, no IO.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gantrain {

/// First and second moments of a feature set, in double precision.
struct FeatureMoments {
  torch::Tensor mean;        ///< [D]
  torch::Tensor covariance;  ///< [D, D], unbiased (divided by N - 1)
};

/// Moments of features [N >= 2, D].
FeatureMoments feature_moments(const torch::Tensor& features);

/// Fréchet distance between Gaussians with these moments (Heusel et al. 2017, "FID"):
/// |m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)); >= 0, 0 for equal moments.
double frechet_distance(const FeatureMoments& a, const FeatureMoments& b);

/// Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
/// estimate of MMD^2 between features real [M >= 2, D] and fake [N >= 2, D] with the cubic
/// polynomial kernel k(x, y) = (x.y / D + 1)^3, over all pairs of the two whole sets (no
/// subsets). 0 in expectation for equal distributions, so it can be slightly negative.
double kernel_inception_distance(const torch::Tensor& real, const torch::Tensor& fake);

/// KL(p || uniform) in nats of the distribution a histogram [K] of counts describes;
/// empty bins contribute 0. In [0, log K]: 0 when uniform, log K when all in one bin.
double kl_from_uniform(const torch::Tensor& counts);

/// What a classifier's predictions say about generated samples.
struct ClassSummary {
  double inception_score = 0;     ///< exp(E_x KL(p(y|x) || p(y))) in [1, K] (Salimans et al. 2016)
  std::vector<int64_t> histogram; ///< predicted-class counts [K]
  int64_t modes_covered = 0;      ///< classes predicted for at least 10% of a uniform share
  double kl_uniform = 0;          ///< kl_from_uniform(histogram), nats
};

/// Summarises class probabilities [N, K] (rows sum to 1).
ClassSummary class_summary(const torch::Tensor& probabilities);

/// How well samples drawn for known classes show them (class-conditional generators).
struct ClassScores {
  /// Per class: the share of the samples drawn for it that the classifier assigns to it
  /// ("class fidelity"); NaN for a class with no sample.
  std::vector<double> fidelity;
  /// Per class: FID between the samples drawn for it and the real images of it ("intra-FID",
  /// Miyato & Koyama 2018); NaN for a class with fewer than 2 samples.
  std::vector<double> fid;
  double mean_fidelity = 0;  ///< the mean over classes of fidelity (NaN ones left out)
  double mean_fid = 0;       ///< the mean over classes of fid (NaN ones left out)
};

/// Feature moments of each class's rows of `features` [N, D] (labels [N] in [0, classes));
/// a class with fewer than 2 rows gets undefined tensors.
std::vector<FeatureMoments> class_moments(const torch::Tensor& features,
                                          const torch::Tensor& labels, int64_t classes);

/// Scores generated samples' classifier `probabilities` [N, K] and `features` [N, D], drawn for
/// `labels` [N], against the real classes' moments (class_moments of real images).
ClassScores class_scores(const torch::Tensor& probabilities, const torch::Tensor& features,
                         const torch::Tensor& labels, const std::vector<FeatureMoments>& real);

/// Improved precision and recall (Kynkäänniemi et al. 2019), both in [0, 1].
struct PrecisionRecall {
  double precision = 0;  ///< share of fakes inside the real manifold (realism)
  double recall = 0;     ///< share of reals inside the fake manifold (coverage)
};

/// The manifolds are unions of balls around each feature vector [N, D] with the distance to
/// its k-th nearest neighbour in the same set as radius.
PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake,
                                 int64_t k = 3);

/// Mean log-likelihood of test points under a Gaussian Parzen window, with its standard error.
struct ParzenEstimate {
  double mean = 0;            ///< nats per test point
  double standard_error = 0;  ///< std of the per-point values / sqrt(M)
  double sigma = 0;           ///< window width used
};

/// Log-likelihood of `test` [M, D] under the mixture of N(s_i, sigma^2 I) over `samples`
/// [N, D], as Goodfellow et al. 2014 report it (after Breuleux et al. 2011).
ParzenEstimate parzen_log_likelihood(const torch::Tensor& samples, const torch::Tensor& test,
                                     double sigma);

/// The candidate width giving `validation` [M, D] the highest mean log-likelihood.
double choose_parzen_sigma(const torch::Tensor& samples, const torch::Tensor& validation,
                           const std::vector<double>& candidates);

}  // namespace gantrain
