// Sample quality for a folder of the user's pictures, with nothing downloaded (docs/metrics.md):
// a feature extractor the user brings (FID, KID, precision/recall), a classifier trained on the
// folder's own classes (FID, IS, modes), and a check for copied training images.
#include <spdlog/spdlog.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include "gantrain/error.h"
#include "gantrain/metrics/classifier.h"
#include "gantrain/metrics/memorization.h"
#include "gantrain/metrics/sample_quality.h"
#include "tasks/tasks.h"

namespace gantrain::detail {
namespace {

constexpr int64_t kReferenceImages = 10000;    // training images the samples are compared with
constexpr int64_t kMinComparison = 100;        // fewer spare images: no *_real reference values
constexpr int64_t kMemorizationSamples = 1000;
constexpr int64_t kClosestPairs = 8;
constexpr int64_t kNearestNeighbours = 3;      // k of Kynkäänniemi et al. 2019
constexpr int64_t kFeatureBatch = 100;
constexpr int64_t kFeatureElements = 16'000'000;  // input values per feature-model batch
// The images classifier's training: about 150,000 images seen, 3 to 50 epochs. Changing it, or
// the held-out share, needs a new kImagesClassifierVersion (it names the cache file).
constexpr int64_t kImagesClassifierVersion = 1;
constexpr int64_t kClassifierImagesSeen = 150000;
constexpr int64_t kHeldOutEvery = 10;          // 1 in 10 labelled images is held out
constexpr int64_t kClassifierBatch = 100;      // train_classifier's batch: its minimum
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string> kGroups = {"features", "classifier", "memorization", "classes"};

// A reference value with `digits` decimals; n/a where the folder had too few images for it.
std::string real_text(double value, int digits) {
  return std::isnan(value) ? std::string("n/a") : fmt::format("{:.{}f}", value, digits);
}

// A TorchScript feature extractor: images [N, C, side, side] in [-1, 1] -> [N, F].
class FeatureModel {
 public:
  FeatureModel(const std::string& path, int64_t channels, int64_t side, torch::Device device)
      : path_(path), channels_(channels), side_(side), device_(device) {
    if (!std::filesystem::is_regular_file(path))
      throw Error(where() + "no such file (expected a TorchScript module saved by torch.jit.save)");
    try {
      module_ = torch::jit::load(path, device);
    } catch (const std::exception& e) {
      throw Error(where() + "not a TorchScript module (expected one saved by torch.jit.save): " +
                  message_of(e));
    }
    module_.eval();
  }

  // Images [N, C*side*side], uint8 or float in [-1, 1], any device -> [N, F] float on the CPU.
  torch::Tensor features(const torch::Tensor& images) {
    torch::NoGradGuard no_grad;
    const int64_t row = channels_ * side_ * side_;
    const int64_t rows = std::clamp<int64_t>(kFeatureElements / row, 1, kFeatureBatch);
    std::vector<torch::Tensor> out;
    for (int64_t start = 0; start < images.size(0); start += rows) {
      torch::Tensor x = images.narrow(0, start, std::min(rows, images.size(0) - start)).to(device_);
      // A copy either way: an in-place op inside the user's model must not reach the samples
      // the other groups measure next.
      x = x.scalar_type() == torch::kByte ? x.to(torch::kFloat).div_(127.5).sub_(1.0)
                                          : x.to(torch::kFloat, false, /*copy=*/true);
      x = x.reshape({-1, channels_, side_, side_});
      c10::IValue y;
      try {
        y = module_.forward({x});
      } catch (const std::exception& e) {
        throw Error(where() + "failed on images " + shape(x.sizes()) + " in [-1, 1]: " +
                    message_of(e));
      }
      if (!y.isTensor() || y.toTensor().dim() < 2 || y.toTensor().size(0) != x.size(0))
        throw Error(where() + "returned " + (y.isTensor() ? shape(y.toTensor().sizes()) : y.tagKind()) +
                    " for images " + shape(x.sizes()) + ", expected features [" +
                    std::to_string(x.size(0)) + ", F]");
      out.push_back(y.toTensor().flatten(1).to(torch::kCPU, torch::kFloat));
    }
    return torch::cat(out);
  }

 private:
  std::string where() const { return "eval.feature_model " + path_ + ": "; }
  static std::string shape(c10::IntArrayRef sizes) {
    std::string text;
    for (int64_t s : sizes) text += (text.empty() ? "" : ", ") + std::to_string(s);
    return "[" + text + "]";
  }
  // LibTorch's messages carry a backtrace, and TorchScript's a script traceback before the
  // error itself: the line that says what went wrong is the last one.
  static std::string message_of(const std::exception& e) {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    const size_t last = text.rfind('\n');
    return last == std::string::npos ? text : text.substr(last + 1);
  }

  std::string path_;
  int64_t channels_, side_;
  torch::Device device_;
  torch::jit::Module module_;
};

// Distinct classes with labelled images, and how many images are labelled.
std::pair<int64_t, int64_t> labelled_classes(const ImageSet& data) {
  torch::Tensor labelled = data.labels.masked_select(data.labels.ge(0));
  if (labelled.numel() == 0) return {0, 0};
  return {torch::bincount(labelled).gt(0).sum().item<int64_t>(), labelled.numel()};
}

int64_t held_out_count(int64_t labelled) { return std::max<int64_t>(1, labelled / kHeldOutEvery); }

// Why `group` cannot measure this data with this config; empty when it can.
std::string why_not(const std::string& group, const Config& config, const ImageSet& data) {
  if (group == "features" && config.eval.feature_model.empty())
    return "needs eval.feature_model (a TorchScript feature extractor, .pt)";
  // An unconditional run has no classes to ask for: measures_classes() decides, silently.
  if (group == "classes" && !config.model.conditional) return "";
  if (group == "classifier" || group == "classes") {
    const auto [classes, labelled] = labelled_classes(data);
    if (classes < 2)
      return "needs images in 2 or more class folders, found " + std::to_string(classes);
    int64_t needed = kClassifierBatch;  // a full training batch beside the held-out tenth
    while (needed - held_out_count(needed) < kClassifierBatch) ++needed;
    if (labelled < needed)
      return "needs at least " + std::to_string(needed) + " images in class folders, found " +
             std::to_string(labelled);
  }
  return "";
}

class ImagesEvaluator : public Evaluator {
 public:
  ImagesEvaluator(const Config& config, const ImageSet& data, std::vector<std::string> groups,
                  torch::Device device)
      : groups_(std::move(groups)), classes_(measures_classes(config, groups_)), data_(data) {
    const int64_t n = data.pixels.size(0);
    // A fixed split: the reference the samples are measured against, and, where the folder has
    // enough images, a disjoint comparison set giving the value real images reach (*_real).
    at::Generator pick = at::make_generator<at::CPUGeneratorImpl>(7);
    torch::Tensor order = torch::randperm(n, pick, torch::kLong);
    // The comparison set is as large as the samples (FID's bias depends on N), at most half.
    const bool split = n >= 2 * kMinComparison;
    const int64_t n_comparison =
        split ? std::clamp(config.eval.samples, kMinComparison, std::min(n / 2, kReferenceImages))
              : 0;
    const int64_t n_reference = std::min(kReferenceImages, n - n_comparison);
    torch::Tensor reference_rows = order.narrow(0, 0, n_reference);
    torch::Tensor reference = data.pixels.index_select(0, reference_rows);
    torch::Tensor comparison =
        data.pixels.index_select(0, order.narrow(0, n_reference, n_comparison));

    if (wants("features")) {
      features_.emplace(config.eval.feature_model, data.channels, data.side, device);
      reference_features_ = features_->features(reference);
      if (reference_features_.size(1) < 1 || !torch::isfinite(reference_features_).all().item<bool>())
        throw Error("eval.feature_model " + config.eval.feature_model +
                    ": expected finite features [N, F >= 1], got " +
                    std::to_string(reference_features_.size(1)) + " per image or non-finite values");
      reference_moments_ = feature_moments(reference_features_);
      spdlog::info("evaluation features: {} ({} features per image)", config.eval.feature_model,
                   reference_features_.size(1));
      if (split) {
        torch::Tensor f = features_->features(comparison);
        fid_real_ = frechet_distance(feature_moments(f), reference_moments_);
        kid_real_ = kernel_inception_distance(reference_features_, f);
      }
    }
    if (wants("classifier") || classes_) build_classifier(data, device);
    if (classes_) {
      // Each class's real images among the reference ones (top-level files, -1, belong to none).
      const auto classes = static_cast<int64_t>(data.classes.size());
      reference_classes_ = class_moments(classify(classifier_, reference).features,
                                         data.labels.index_select(0, reference_rows), classes);
    }
    if (wants("classifier")) {
      ClassifierOutputs real = classify(classifier_, reference);
      classifier_reference_ = feature_moments(real.features);
      inception_real_ = class_summary(real.probabilities).inception_score;
      if (split)
        classifier_fid_real_ = frechet_distance(
            feature_moments(classify(classifier_, comparison).features), classifier_reference_);
    }
    if (wants("memorization"))
      memorization_.emplace(data.pixels, data.channels, data.side, device);
  }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& g : groups_) {
      if (g == "features")
        out.insert(out.end(), {"fid", "fid_real", "kid", "kid_real", "precision", "recall"});
      if (g == "classifier")
        out.insert(out.end(), {"classifier_accuracy", "classifier_fid", "classifier_fid_real",
                               "inception_score", "inception_score_real", "modes_covered"});
      if (g == "memorization") out.insert(out.end(), {"memorized_share", "nn_ratio"});
      if (g == "classes" && classes_) {
        const auto names = class_metric_names(static_cast<int64_t>(data_.classes.size()));
        out.insert(out.end(), names.begin(), names.end());
      }
    }
    return out;
  }

  std::vector<Metric> evaluate(const Batch& generated) override {
    const torch::Tensor& samples = generated.samples;
    const int64_t row = data_.channels * data_.side * data_.side;
    TORCH_CHECK(samples.dim() == 2 && samples.size(1) == row && samples.size(0) >= 2,
                "images eval: expected [N >= 2, ", row, "] samples, got ", samples.sizes());
    std::vector<Metric> out;
    // One pass of the classifier serves both groups that read it.
    ClassifierOutputs classified;
    if (wants("classifier") || classes_) classified = classify(classifier_, samples);
    for (const auto& g : groups_) {
      if (g == "features") {
        torch::Tensor fake = features_->features(samples);
        const double fid = frechet_distance(feature_moments(fake), reference_moments_);
        const double kid = kernel_inception_distance(reference_features_, fake);
        PrecisionRecall pr = precision_recall(reference_features_, fake, kNearestNeighbours);
        out.push_back({"fid", fid, fmt::format("FID {:.2f}", fid)});
        out.push_back({"fid_real", fid_real_, "(real " + real_text(fid_real_, 2) + ")"});
        out.push_back({"kid", kid, fmt::format("KID {:.4f}", kid)});
        out.push_back({"kid_real", kid_real_, "(real " + real_text(kid_real_, 4) + ")"});
        out.push_back({"precision", pr.precision, fmt::format("precision {:.3f}", pr.precision)});
        out.push_back({"recall", pr.recall, fmt::format("recall {:.3f}", pr.recall)});
      } else if (g == "classifier") {
        const double fid = frechet_distance(feature_moments(classified.features), classifier_reference_);
        ClassSummary s = class_summary(classified.probabilities);
        std::string histogram;
        for (int64_t c : s.histogram) histogram += (histogram.empty() ? "" : " ") + std::to_string(c);
        out.push_back({"classifier_accuracy", accuracy_,
                       fmt::format("classifier held-out accuracy {:.2f}%", 100 * accuracy_)});
        out.push_back({"classifier_fid", fid, fmt::format("classifier FID {:.2f}", fid)});
        out.push_back({"classifier_fid_real", classifier_fid_real_,
                       "(real " + real_text(classifier_fid_real_, 2) + ")"});
        out.push_back({"inception_score", s.inception_score,
                       fmt::format("IS {:.2f}", s.inception_score)});
        out.push_back({"inception_score_real", inception_real_,
                       fmt::format("(real {:.2f})", inception_real_)});
        out.push_back({"modes_covered", static_cast<double>(s.modes_covered),
                       fmt::format("modes {}/{} [{}]", s.modes_covered, s.histogram.size(),
                                   histogram)});
      } else if (g == "memorization") {
        torch::Tensor measured =
            samples.narrow(0, 0, std::min(kMemorizationSamples, samples.size(0)));
        MemorizationReport r = memorization_->measure(measured, kClosestPairs);
        closest_pairs_ = closest_pairs_grid(r.closest, measured, data_.pixels, data_.channels,
                                            data_.side);
        out.push_back({"memorized_share", r.memorized_share,
                       fmt::format("memorised {:.1f}% (training images {:.1f}%)",
                                   100 * r.memorized_share, 100 * r.training_share)});
        out.push_back({"nn_ratio", r.nn_ratio, fmt::format("NN ratio {:.2f}", r.nn_ratio)});
      } else if (g == "classes" && classes_) {
        TORCH_CHECK(generated.labels.defined(), "images eval: class metrics need the samples' classes");
        for (auto& m : class_metrics(class_scores(classified.probabilities, classified.features,
                                                  generated.labels, reference_classes_)))
          out.push_back(std::move(m));
      }
    }
    return out;
  }

  std::string closest_pairs_png() const override {
    return closest_pairs_.width > 0 ? encode_png(closest_pairs_) : std::string();
  }

 private:
  bool wants(const std::string& group) const {
    return std::find(groups_.begin(), groups_.end(), group) != groups_.end();
  }

  // Trained on the labelled images but a fixed tenth, on which its accuracy is reported.
  void build_classifier(const ImageSet& data, torch::Device device) {
    torch::Tensor labelled = data.labels.ge(0).nonzero().flatten();
    at::Generator pick = at::make_generator<at::CPUGeneratorImpl>(13);
    labelled = labelled.index_select(0, torch::randperm(labelled.numel(), pick, torch::kLong));
    const int64_t held_out = held_out_count(labelled.numel());
    torch::Tensor test = labelled.narrow(0, 0, held_out);
    torch::Tensor train = labelled.narrow(0, held_out, labelled.numel() - held_out);
    const int64_t classes = static_cast<int64_t>(data.classes.size());
    const int64_t epochs =
        std::clamp<int64_t>((kClassifierImagesSeen + train.numel() - 1) / train.numel(), 3, 50);
    const std::string key = fmt::format("images{}-{}-{}x{}x{}-{}", kImagesClassifierVersion,
                                        data.key, data.channels, data.side, data.side, classes);
    classifier_ = cached_classifier(data.pixels.index_select(0, train),
                                    data.labels.index_select(0, train), data.side, classes, epochs,
                                    key, device, data.channels);
    accuracy_ = classifier_accuracy(classifier_, data.pixels.index_select(0, test),
                                    data.labels.index_select(0, test));
    spdlog::info("evaluation classifier: held-out accuracy {:.2f}% on {} images, {} classes",
                 100 * accuracy_, held_out, classes);
  }

  std::vector<std::string> groups_;
  bool classes_;  // the "classes" group applies: the generator is conditional
  std::vector<FeatureMoments> reference_classes_;
  ImageSet data_;  // tensors shared, not copied
  std::optional<FeatureModel> features_;
  torch::Tensor reference_features_;
  FeatureMoments reference_moments_;
  double fid_real_ = kNaN, kid_real_ = kNaN;
  Classifier classifier_{nullptr};
  double accuracy_ = 0;
  FeatureMoments classifier_reference_;
  double classifier_fid_real_ = kNaN, inception_real_ = kNaN;
  std::optional<MemorizationCheck> memorization_;
  Image closest_pairs_;
};

}  // namespace

std::vector<std::string> images_eval_groups() { return kGroups; }

std::unique_ptr<Evaluator> make_images_evaluator(const Config& config, const ImageSet& data,
                                                 const std::vector<std::string>& groups,
                                                 torch::Device device) {
  TORCH_CHECK(data.pixels.dim() == 2 && data.pixels.scalar_type() == torch::kByte &&
                  data.pixels.size(1) == data.channels * data.side * data.side &&
                  data.pixels.size(0) >= 2 && data.labels.numel() == data.pixels.size(0),
              "images eval: expected pixels [N >= 2, ", data.channels * data.side * data.side,
              "] uint8 and labels [N], got ", data.pixels.sizes(), " and ", data.labels.sizes());
  // The config and the folder fix the groups (a changed folder may change metrics.csv's columns
  // on resume): a group that cannot measure this folder is left out with a warning under
  // "all", and is an error when named.
  const bool all = config.eval.metrics.empty() || config.eval.metrics == "all";
  std::vector<std::string> kept;
  for (const auto& group : groups) {
    const std::string why = why_not(group, config, data);
    if (why.empty()) {
      kept.push_back(group);
    } else if (all) {
      spdlog::warn("eval: no {} metrics: the group {}", group, why);
    } else {
      throw ConfigError("eval.metrics = '" + config.eval.metrics + "': the group '" + group +
                        "' " + why);
    }
  }
  return std::make_unique<ImagesEvaluator>(config, data, std::move(kept), device);
}

}  // namespace gantrain::detail
