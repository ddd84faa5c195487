// Sample quality of MNIST-format generators, measured the ways GAN papers report it
// (docs/metrics.md): a classifier's feature space for FID, IS, modes and precision/recall, and
// pixel space for the Parzen-window log-likelihood of Goodfellow et al. 2014.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "gantrain/error.h"
#include "gantrain/io/classifier_cache.h"
#include "gantrain/metrics/classifier.h"
#include "gantrain/metrics/sample_quality.h"
#include "tasks/tasks.h"

namespace gantrain::detail {
namespace {

constexpr int64_t kPixels = kMnistSide * kMnistSide;
constexpr int64_t kClasses = 10;
constexpr int64_t kClassifierEpochs = 3;  // changing it needs a new kClassifierVersion (the cache)
constexpr int64_t kReferenceImages = 10000;   // real training images beside the test set
constexpr int64_t kParzenValidation = 1000;   // Goodfellow et al.'s parzen_ll.py limit_size
constexpr int64_t kNearestNeighbours = 3;     // k of Kynkäänniemi et al. 2019

torch::Tensor images_of(const IdxArray& idx, int64_t n) {
  return torch::from_blob(const_cast<uint8_t*>(idx.data.data()), {n, kPixels}, torch::kByte).clone();
}

torch::Tensor labels_of(const IdxArray& idx) {
  return torch::from_blob(const_cast<uint8_t*>(idx.data.data()), {idx.dims[0]}, torch::kByte)
      .to(torch::kLong);
}

std::string histogram_text(const std::vector<int64_t>& counts) {
  std::string text;
  for (int64_t c : counts) text += (text.empty() ? "" : " ") + std::to_string(c);
  return text;
}

class MnistEvaluator : public Evaluator {
 public:
  MnistEvaluator(const Config& config, std::vector<std::string> groups, torch::Device device)
      : groups_(std::move(groups)), classes_(measures_classes(config, groups_)) {
    MnistSplit train = load_mnist_data(config.data, "train");
    MnistSplit test = load_mnist_data(config.data, "t10k");
    const int64_t n_train = train.images.dims[0], n_test = test.images.dims[0];
    if (n_train < 200 || n_test < 10)
      throw Error(mnist_data_directory(config.data) +
                  ": evaluation needs at least 200 training and 10 test images");
    torch::Tensor train_images = images_of(train.images, n_train);
    torch::Tensor test_images = images_of(test.images, n_test);
    classifier_ = cached_classifier(train_images, labels_of(train.labels), kMnistSide, kClasses,
                                    kClassifierEpochs, data_checksum(train), device);
    accuracy_ = classifier_accuracy(classifier_, test_images, labels_of(test.labels));
    spdlog::info("evaluation classifier: test accuracy {:.2f}% on {} images", 100 * accuracy_,
                 n_test);

    // Goodfellow et al. validate the Parzen width on the first 1,000 of the last 10,000
    // training images (on small data sets: of the last sixth).
    const int64_t validation_start = n_train - std::min<int64_t>(10000, n_train / 6);
    // A fixed subset of the training images before those: the "as good as real data" reference.
    at::Generator pick = at::make_generator<at::CPUGeneratorImpl>(7);
    torch::Tensor reference = train_images.index_select(
        0, torch::randperm(validation_start, pick, torch::kLong)
               .narrow(0, 0, std::min(kReferenceImages, validation_start)));
    test_ = classify(classifier_, test_images);
    ClassifierOutputs real = classify(classifier_, reference);
    test_moments_ = feature_moments(test_.features);
    if (classes_) test_class_moments_ = class_moments(test_.features, labels_of(test.labels), kClasses);
    reference_fid_ = frechet_distance(feature_moments(real.features), test_moments_);
    test_inception_ = class_summary(test_.probabilities).inception_score;
    if (wants("parzen")) {
      test_pixels_ = test_images.to(torch::kFloat).div_(255);
      validation_pixels_ =
          train_images
              .narrow(0, validation_start, std::min(kParzenValidation, n_train - validation_start))
              .to(torch::kFloat)
              .div_(255);
      torch::Tensor reference_pixels = reference.to(torch::kFloat).div_(255);
      reference_parzen_ = parzen_log_likelihood(
          reference_pixels, test_pixels_, choose_parzen_sigma(reference_pixels, validation_pixels_, sigmas()));
    }
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out = {"classifier_accuracy"};
    for (const auto& g : groups_) {
      if (g == "fid") out.insert(out.end(), {"fid", "fid_real"});
      if (g == "is") out.insert(out.end(), {"inception_score", "inception_score_real"});
      if (g == "modes") out.insert(out.end(), {"modes_covered", "class_kl"});
      if (g == "pr") out.insert(out.end(), {"precision", "recall"});
      if (g == "parzen") out.insert(out.end(), {"parzen_ll", "parzen_se", "parzen_sigma", "parzen_ll_real"});
      if (g == "classes" && classes_) {
        const auto names = class_metric_names(kClasses);
        out.insert(out.end(), names.begin(), names.end());
      }
    }
    return out;
  }

  std::vector<Metric> evaluate(const Batch& generated) override {
    const torch::Tensor& samples = generated.samples;
    TORCH_CHECK(samples.dim() == 2 && samples.size(1) == kPixels, "MNIST eval: expected [N, ",
                kPixels, "] samples, got ", samples.sizes());
    ClassifierOutputs fake = classify(classifier_, samples);
    std::vector<Metric> out = {{"classifier_accuracy", accuracy_,
                                fmt::format("classifier test accuracy {:.2f}%", 100 * accuracy_)}};
    for (const auto& g : groups_) {
      if (g == "fid") {
        double fid = frechet_distance(feature_moments(fake.features), test_moments_);
        out.push_back({"fid", fid, fmt::format("FID {:.2f}", fid)});
        out.push_back({"fid_real", reference_fid_,
                       fmt::format("(real train vs test: {:.2f})", reference_fid_)});
      } else if (g == "is") {
        double score = class_summary(fake.probabilities).inception_score;
        out.push_back({"inception_score", score, fmt::format("IS {:.2f}", score)});
        out.push_back({"inception_score_real", test_inception_,
                       fmt::format("(real test: {:.2f})", test_inception_)});
      } else if (g == "modes") {
        ClassSummary s = class_summary(fake.probabilities);
        out.push_back({"modes_covered", static_cast<double>(s.modes_covered),
                       fmt::format("modes {}/{} [{}]", s.modes_covered, kClasses,
                                   histogram_text(s.histogram))});
        out.push_back({"class_kl", s.kl_uniform, fmt::format("class KL {:.3f}", s.kl_uniform)});
      } else if (g == "pr") {
        PrecisionRecall pr = precision_recall(test_.features, fake.features, kNearestNeighbours);
        out.push_back({"precision", pr.precision, fmt::format("precision {:.3f}", pr.precision)});
        out.push_back({"recall", pr.recall, fmt::format("recall {:.3f}", pr.recall)});
      } else if (g == "parzen") {
        torch::Tensor pixels = samples.detach().to(torch::kCPU, torch::kFloat).add(1).div_(2);
        ParzenEstimate e = parzen_log_likelihood(
            pixels, test_pixels_, choose_parzen_sigma(pixels, validation_pixels_, sigmas()));
        out.push_back({"parzen_ll", e.mean, fmt::format("Parzen LL {:.1f}", e.mean)});
        out.push_back({"parzen_se", e.standard_error, fmt::format("+- {:.1f}", e.standard_error)});
        out.push_back({"parzen_sigma", e.sigma, fmt::format("(sigma {:.3f})", e.sigma)});
        out.push_back({"parzen_ll_real", reference_parzen_.mean,
                       fmt::format("(real train: {:.1f})", reference_parzen_.mean)});
      } else if (g == "classes" && classes_) {
        TORCH_CHECK(generated.labels.defined(), "MNIST eval: class metrics need the samples' classes");
        for (auto& m : class_metrics(class_scores(fake.probabilities, fake.features,
                                                  generated.labels, test_class_moments_)))
          out.push_back(std::move(m));
      }
    }
    return out;
  }

 private:
  bool wants(const std::string& group) const {
    return std::find(groups_.begin(), groups_.end(), group) != groups_.end();
  }
  // Goodfellow et al.'s parzen_ll.py searches 10 widths log-spaced over [0.1, 1].
  static std::vector<double> sigmas() {
    std::vector<double> out;
    for (int i = 0; i < 10; ++i) out.push_back(std::pow(10.0, -1.0 + i / 9.0));
    return out;
  }

  std::vector<std::string> groups_;
  bool classes_;  // the "classes" group applies: the generator is conditional
  std::vector<FeatureMoments> test_class_moments_;
  Classifier classifier_{nullptr};
  double accuracy_ = 0;
  ClassifierOutputs test_;
  FeatureMoments test_moments_;
  double reference_fid_ = 0;
  double test_inception_ = 0;
  torch::Tensor test_pixels_, validation_pixels_;
  ParzenEstimate reference_parzen_;
};

}  // namespace

std::unique_ptr<Evaluator> make_mnist_evaluator(const Config& config,
                                                const std::vector<std::string>& groups,
                                                torch::Device device) {
  return std::make_unique<MnistEvaluator>(config, groups, device);
}

}  // namespace gantrain::detail
