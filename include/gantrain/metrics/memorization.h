#pragma once
/// Does the generator copy its training images? Nearest-neighbour distances of samples to the
/// training set, set against the training images' own nearest-neighbour distances, in a small
/// pixel space (images area-averaged to at most 16x16, values in [0, 1]).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "gantrain/io/png.h"

namespace gantrain {

/// Side of the memorisation check's pixel space for images of side `side`: min(side, 16).
int64_t memorization_side(int64_t side);

/// Images [N, channels*side*side], uint8 in [0, 255] or float in [-1, 1], on any device ->
/// [N, channels*s*s] float in [0, 1] on the same device, s = memorization_side(side).
torch::Tensor memorization_space(const torch::Tensor& images, int64_t channels, int64_t side);

/// Each query's nearest reference point.
struct NearestNeighbours {
  torch::Tensor distances;  ///< [Q] Euclidean, double, on the CPU
  torch::Tensor indices;    ///< [Q] int64 rows of the reference, on the CPU
};

/// Nearest rows of `reference` [R >= 1, D] to each row of `query` [Q, D] (both on one device), in
/// row blocks of at most 10^7 distances, so 100k references never need Q x 100k floats at once.
/// `exclude` [Q] int64 (optional): the reference row each query may not take (itself), or -1.
NearestNeighbours nearest_neighbours(const torch::Tensor& query, const torch::Tensor& reference,
                                     const torch::Tensor& exclude = {});

/// A generated sample and the training image nearest to it.
struct NearestPair {
  int64_t sample = 0;    ///< row of the samples measured
  int64_t training = 0;  ///< row of the training set
  double distance = 0;   ///< Euclidean, in the memorisation space
};

/// What the check found.
struct MemorizationReport {
  /// median sample-to-nearest-training distance / median training-to-nearest-other-training
  /// distance: about 1 or more when samples are as new as a training image is to the rest, near
  /// 0 when they copy.
  double nn_ratio = 0;
  /// Share of samples "memorised": nearer to a training image than half the median distance
  /// between a training image and its nearest other one (threshold below), in [0, 1].
  double memorized_share = 0;
  /// The same share for the training images themselves (each against the rest): what a
  /// generator drawing fresh images from the data's distribution would be expected to show.
  double training_share = 0;
  double sample_median = 0, training_median = 0, threshold = 0;
  std::vector<NearestPair> closest;  ///< the closest pairs, nearest first, one per sample
};

/// The training side of the check, computed once: the training images in memorisation space and
/// the nearest-neighbour distances of a fixed subset of them to the rest.
class MemorizationCheck {
 public:
  /// `training` [N >= 2, channels*side*side] uint8; kept (and measured) on `device`.
  /// `subset`: training images whose nearest other training image sets the scale.
  MemorizationCheck(const torch::Tensor& training, int64_t channels, int64_t side,
                    torch::Device device, int64_t subset = 1000);
  /// Measures samples [M >= 1, channels*side*side] in [-1, 1] (float, any device); returns the
  /// `pairs` closest (sample, training image) pairs among them.
  MemorizationReport measure(const torch::Tensor& samples, int64_t pairs = 8) const;

 private:
  int64_t channels_, side_;
  torch::Tensor training_;           // [N, channels*s*s] in [0, 1], on the device
  torch::Tensor training_nearest_;   // [subset] distances, double, CPU
};

/// The closest pairs as one picture: the samples in the top row, the training image nearest to
/// each below it, tiles at most 128 pixels a side (area-averaged). `samples` [M, C*side*side]
/// float in [-1, 1] are the ones measured, `training` [N, C*side*side] uint8; empty pairs give
/// an empty image.
Image closest_pairs_grid(const std::vector<NearestPair>& pairs, const torch::Tensor& samples,
                         const torch::Tensor& training, int64_t channels, int64_t side);

}  // namespace gantrain
