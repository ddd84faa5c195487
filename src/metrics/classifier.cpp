#include "gantrain/metrics/classifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/io/classifier_cache.h"
#include "gantrain/io/run_dir.h"

namespace gantrain {
namespace {

constexpr int64_t kBatch = 100;
constexpr int64_t kInputSide = 32;
// classify() takes at most this many input values a batch (and never more than 1,000 rows):
// 1,000 MNIST or 32x32 RGB images, one 1024x1024 RGB image.
constexpr int64_t kClassifyElements = 4'000'000;
constexpr uint64_t kClassifierSeed = 20141201;  // fixed: the same data gives the same classifier

// uint8 [0, 255] or float [-1, 1] -> float [-1, 1], the generator's output range.
torch::Tensor to_unit_range(const torch::Tensor& images) {
  if (images.scalar_type() == torch::kByte) return images.to(torch::kFloat).div(127.5).sub(1.0);
  return images.to(torch::kFloat);
}

}  // namespace

int64_t classifier_input_side(int64_t side) {
  return side <= kInputSide && side % 4 == 0 ? side : kInputSide;
}

ClassifierImpl::ClassifierImpl(int64_t side, int64_t classes, int64_t channels)
    : side_(side), channels_(channels), input_side_(classifier_input_side(side)) {
  TORCH_CHECK(side > 0 && channels > 0, "Classifier: image side and channels must be > 0");
  conv1_ = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 16, 5).padding(2)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 5).padding(2)));
  fc1_ = register_module(
      "fc1", torch::nn::Linear(32 * (input_side_ / 4) * (input_side_ / 4), kClassifierFeatures));
  fc2_ = register_module("fc2", torch::nn::Linear(kClassifierFeatures, classes));
}

torch::Tensor ClassifierImpl::features(const torch::Tensor& images) {
  const int64_t row = channels_ * side_ * side_;
  TORCH_CHECK(images.dim() == 2 && images.size(1) == row, "Classifier: expected [N, ", row,
              "], got ", images.sizes());
  torch::Tensor x = images.view({-1, channels_, side_, side_});
  if (side_ > input_side_) {
    x = torch::adaptive_avg_pool2d(x, {input_side_, input_side_});  // area average: no aliasing
  } else if (side_ < input_side_) {
    x = torch::nn::functional::interpolate(
        x, torch::nn::functional::InterpolateFuncOptions()
               .size(std::vector<int64_t>{input_side_, input_side_})
               .mode(torch::kBilinear)
               .align_corners(false));
  }
  x = torch::max_pool2d(torch::relu(conv1_->forward(x)), 2);
  x = torch::max_pool2d(torch::relu(conv2_->forward(x)), 2);
  return torch::relu(fc1_->forward(x.flatten(1)));
}

torch::Tensor ClassifierImpl::head(const torch::Tensor& features) { return fc2_->forward(features); }

torch::Tensor ClassifierImpl::forward(const torch::Tensor& images) { return head(features(images)); }

Classifier make_classifier(int64_t side, int64_t classes, int64_t channels) {
  // Parameters are initialised from the default CPU generator: seed it for this, then put its
  // state back, so building a classifier never moves anyone else's random stream.
  at::Generator cpu = default_generator(torch::kCPU);
  torch::Tensor saved = generator_state(cpu);
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_current_seed(kClassifierSeed);
  }
  Classifier classifier(side, classes, channels);
  set_generator_state(cpu, saved);
  return classifier;
}

Classifier train_classifier(const torch::Tensor& images, const torch::Tensor& labels,
                            int64_t side, int64_t classes, int64_t epochs, torch::Device device,
                            int64_t channels) {
  TORCH_CHECK(images.size(0) == labels.size(0) && images.size(0) >= kBatch,
              "train_classifier: need as many labels as images, at least ", kBatch);
  // Its own generator: training the classifier never moves the run's random stream.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(kClassifierSeed);
  Classifier classifier = make_classifier(side, classes, channels);
  classifier->to(device);
  classifier->train();
  torch::optim::Adam optimizer(classifier->parameters(), torch::optim::AdamOptions(1e-3));
  // Batches are gathered where the images are: a large folder need not fit on the device.
  torch::Tensor y_all = labels.to(images.device(), torch::kLong);
  const int64_t n = images.size(0);
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    torch::Tensor order = torch::randperm(n, generator, torch::kLong).to(images.device());
    for (int64_t start = 0; start + kBatch <= n; start += kBatch) {
      torch::Tensor index = order.narrow(0, start, kBatch);
      torch::Tensor loss = torch::nn::functional::cross_entropy(
          classifier->forward(to_unit_range(images.index_select(0, index).to(device))),
          y_all.index_select(0, index).to(device));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
  }
  classifier->eval();
  return classifier;
}

Classifier cached_classifier(const torch::Tensor& images, const torch::Tensor& labels,
                             int64_t side, int64_t classes, int64_t epochs, const std::string& key,
                             torch::Device device, int64_t channels) {
  const std::string versioned_key = "v" + std::to_string(kClassifierVersion) + "-" + key;
  std::string directory;
  try {
    directory = cache_directory();
  } catch (const Error& e) {
    spdlog::warn("{} (the classifier will not be cached)", e.what());
  }
  Classifier classifier = make_classifier(side, classes, channels);
  if (!directory.empty() && load_cached_classifier(directory, versioned_key, *classifier, device)) {
    spdlog::info("evaluation classifier: cached {}", classifier_cache_file(directory, versioned_key));
    return classifier;
  }
  spdlog::info("evaluation classifier: training on {} images, {} epochs (once per data set)",
               images.size(0), epochs);
  const auto start = std::chrono::steady_clock::now();
  classifier = train_classifier(images, labels, side, classes, epochs, device, channels);
  spdlog::info("evaluation classifier: trained in {:.0f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!directory.empty()) save_cached_classifier(directory, versioned_key, *classifier);
  return classifier;
}

ClassifierOutputs classify(Classifier& classifier, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  classifier->eval();
  const torch::Device device = classifier->parameters().front().device();
  std::vector<torch::Tensor> features, probabilities;
  const int64_t rows =
      std::clamp<int64_t>(kClassifyElements / std::max<int64_t>(1, images.size(1)), 1, 1000);
  for (int64_t start = 0; start < images.size(0); start += rows) {
    torch::Tensor batch = to_unit_range(
        images.narrow(0, start, std::min<int64_t>(rows, images.size(0) - start)).to(device));
    torch::Tensor f = classifier->features(batch);
    features.push_back(f.cpu());
    probabilities.push_back(torch::softmax(classifier->head(f), 1).cpu());
  }
  return {torch::cat(features), torch::cat(probabilities)};
}

double classifier_accuracy(Classifier& classifier, const torch::Tensor& images,
                           const torch::Tensor& labels) {
  torch::Tensor predicted = classify(classifier, images).probabilities.argmax(1);
  return predicted.eq(labels.to(torch::kCPU, torch::kLong)).to(torch::kDouble).mean().item<double>();
}

}  // namespace gantrain
