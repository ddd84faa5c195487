#pragma once
/// A small CNN trained on the real data: its features and class probabilities are the space in
/// which gantrain measures MNIST-format samples (FID, IS, modes, precision/recall) and the
/// images task's labelled folders (FID, IS, modes).
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace gantrain {

/// Side the classifier's convolutions see for images of side `side`: the side itself up to 32
/// when it is a multiple of 4 (MNIST's 28 included), else 32 (images are resized to it, so that
/// large pictures stay cheap).
int64_t classifier_input_side(int64_t side);

/// [resize to classifier_input_side] - conv 5x5 (16) - pool - conv 5x5 (32) - pool - fc 128 -
/// fc classes, ReLU between. Submodules "conv1", "conv2", "fc1", "fc2" are the cache file's schema.
class ClassifierImpl : public torch::nn::Module {
 public:
  /// `side` x `side` images of `channels` channels (side >= 1), `classes` outputs.
  ClassifierImpl(int64_t side, int64_t classes, int64_t channels = 1);
  /// [N, channels*side*side] in [-1, 1] -> [N, 128] penultimate features (after ReLU).
  torch::Tensor features(const torch::Tensor& images);
  /// [N, 128] features -> [N, classes] logits.
  torch::Tensor head(const torch::Tensor& features);
  /// [N, channels*side*side] in [-1, 1] -> [N, classes] logits.
  torch::Tensor forward(const torch::Tensor& images);

 private:
  int64_t side_, channels_, input_side_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Classifier);

/// Feature width of ClassifierImpl::features.
constexpr int64_t kClassifierFeatures = 128;

/// A freshly initialised classifier, always the same weights; the default RNG is left as it was.
Classifier make_classifier(int64_t side, int64_t classes, int64_t channels = 1);

/// Trains a fresh classifier (seeded: the same data gives the same weights) on images
/// [N >= 100, channels*side*side] uint8 (on any device) with labels [N] in [0, classes); Adam,
/// batch 100, `epochs` passes.
Classifier train_classifier(const torch::Tensor& images, const torch::Tensor& labels,
                            int64_t side, int64_t classes, int64_t epochs, torch::Device device,
                            int64_t channels = 1);

/// Version of the classifier's architecture and training, part of its cache key: bump it when
/// either changes (the epochs its callers train for included).
constexpr int64_t kClassifierVersion = 1;

/// The classifier that train_classifier makes of these arguments: the one cached under `key`
/// (naming the data) in cache_directory() when it loads, else trained there and then cached.
Classifier cached_classifier(const torch::Tensor& images, const torch::Tensor& labels,
                             int64_t side, int64_t classes, int64_t epochs, const std::string& key,
                             torch::Device device, int64_t channels = 1);

/// Share of images [N, channels*side*side] uint8 whose predicted class equals labels [N], in
/// [0, 1].
double classifier_accuracy(Classifier& classifier, const torch::Tensor& images,
                           const torch::Tensor& labels);

/// What the classifier makes of a set of images (CPU tensors).
struct ClassifierOutputs {
  torch::Tensor features;       ///< [N, 128] penultimate activations
  torch::Tensor probabilities;  ///< [N, classes] softmax of the logits
};

/// Classifies images [N, channels*side*side] in [-1, 1] (float) or [0, 255] (uint8) in batches
/// under NoGradGuard; the images may be on any device, the outputs come back on the CPU.
ClassifierOutputs classify(Classifier& classifier, const torch::Tensor& images);

}  // namespace gantrain
