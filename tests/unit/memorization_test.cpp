// The memorisation check, and the images task's evaluator on image sets built from tensors.
#include "gantrain/metrics/memorization.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <torch/script.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "log_capture.h"
#include "tasks/tasks.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

using ::testing_support::LogCapture;

// uint8 training images -> the generator's float range [-1, 1], as a sample would be.
torch::Tensor as_samples(const torch::Tensor& pixels) {
  return pixels.to(torch::kFloat).div(127.5).sub(1.0);
}

TEST(MemorizationSpace, AveragesDownTo16x16InUnitRange) {
  // 32x32, one channel: each 2x2 block holds 0 and 255 twice -> 0.5 everywhere.
  torch::Tensor image = torch::zeros({32, 32}, torch::kByte);
  image.slice(1, 0, 32, 2).fill_(255);
  torch::Tensor x = memorization_space(image.view({1, 1024}), 1, 32);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 256}));
  EXPECT_TRUE(torch::allclose(x, torch::full({1, 256}, 0.5)));
  // Small images keep their side; floats in [-1, 1] map to [0, 1].
  EXPECT_EQ(memorization_side(8), 8);
  torch::Tensor y = memorization_space(torch::tensor({-1.0f, 1.0f, 0.0f, 1.0f}).view({1, 4}), 1, 2);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({0.0f, 1.0f, 0.5f, 1.0f}).view({1, 4})));
}

TEST(MemorizationNearest, MatchesBruteForceAcrossBlocksAndExcludesSelf) {
  torch::manual_seed(0);
  // 3,000 x 4,000 distances: more than one 10^7 block.
  torch::Tensor reference = torch::rand({4000, 6});
  torch::Tensor query = torch::rand({3000, 6});
  NearestNeighbours found = nearest_neighbours(query, reference);
  auto [expected, where] = torch::cdist(query.to(torch::kDouble), reference.to(torch::kDouble)).min(1);
  EXPECT_TRUE(torch::allclose(found.distances, expected, 1e-9, 1e-9));
  EXPECT_TRUE(torch::equal(found.indices, where));

  // Queries that are reference rows find another row when told to skip their own.
  torch::Tensor rows = torch::tensor({5, 17, 3999}, torch::kLong);
  NearestNeighbours self = nearest_neighbours(reference.index_select(0, rows), reference);
  EXPECT_TRUE(torch::equal(self.indices, rows));
  EXPECT_EQ(self.distances.abs().max().item<double>(), 0.0);
  NearestNeighbours other = nearest_neighbours(reference.index_select(0, rows), reference, rows);
  EXPECT_FALSE(other.indices.eq(rows).any().item<bool>());
  EXPECT_TRUE((other.distances > 0).all().item<bool>());
}

// 400 random 8x8 RGB training images.
struct MemorizationFixture : ::testing::Test {
  void SetUp() override {
    torch::manual_seed(0);
    training = torch::randint(0, 256, {400, 3 * 8 * 8}, torch::kByte);
  }
  torch::Tensor training;
};

TEST_F(MemorizationFixture, CopiesOfTrainingImagesAreAllMemorised) {
  MemorizationCheck check(training, 3, 8, torch::kCPU, 200);
  torch::Tensor rows = torch::tensor({7, 42, 300, 399, 0, 123}, torch::kLong);
  MemorizationReport r = check.measure(as_samples(training.index_select(0, rows)), 4);
  EXPECT_DOUBLE_EQ(r.memorized_share, 1.0);
  EXPECT_NEAR(r.nn_ratio, 0.0, 1e-6);
  EXPECT_GT(r.training_median, 1.0);
  ASSERT_EQ(r.closest.size(), 4u);
  for (const NearestPair& p : r.closest) {
    EXPECT_EQ(p.training, rows[p.sample].item<int64_t>());
    EXPECT_NEAR(p.distance, 0.0, 1e-6);
  }
}

TEST_F(MemorizationFixture, NearCopiesAreMemorisedFreshImagesAreNot) {
  MemorizationCheck check(training, 3, 8, torch::kCPU);
  // Each pixel moved by up to 10 of 255: still a copy.
  torch::Tensor near = as_samples(training.narrow(0, 0, 100)) + torch::empty({100, 192}).uniform_(-0.08, 0.08);
  MemorizationReport copied = check.measure(near.clamp(-1, 1));
  EXPECT_DOUBLE_EQ(copied.memorized_share, 1.0);
  EXPECT_LT(copied.nn_ratio, 0.2);

  // New draws from the training images' own distribution: as far as a training image is from
  // the rest.
  MemorizationReport fresh = check.measure(as_samples(torch::randint(0, 256, {300, 192}, torch::kByte)));
  EXPECT_DOUBLE_EQ(fresh.memorized_share, 0.0);
  EXPECT_DOUBLE_EQ(fresh.training_share, 0.0);
  EXPECT_NEAR(fresh.nn_ratio, 1.0, 0.1);
  EXPECT_GT(fresh.closest.front().distance, fresh.threshold);
  EXPECT_LE(fresh.closest.front().distance, fresh.closest.back().distance);
}

TEST(MemorizationGrid, SamplesOnTopTheirTrainingImagesBelow) {
  // 4x4 gray: samples all white, training images all black.
  torch::Tensor samples = torch::ones({3, 16});
  torch::Tensor training = torch::zeros({5, 16}, torch::kByte);
  Image grid = closest_pairs_grid({{2, 4, 0.5}, {0, 1, 0.7}}, samples, training, 1, 4);
  // 2 tiles a row, 2 rows, 2 pixels of padding around and between.
  EXPECT_EQ(grid.width, 2 * 4 + 3 * 2);
  EXPECT_EQ(grid.height, 2 * 4 + 3 * 2);
  EXPECT_EQ(grid.pixels[static_cast<size_t>(2 * grid.width + 2)], 255);       // top-left tile
  EXPECT_EQ(grid.pixels[static_cast<size_t>(8 * grid.width + 2)], 0);         // below it
  EXPECT_EQ(closest_pairs_grid({}, samples, training, 1, 4).width, 0);
  // Large images are shown at 128 pixels a side.
  Image big = closest_pairs_grid({{0, 0, 0}}, torch::zeros({1, 256 * 256}),
                                 torch::zeros({1, 256 * 256}, torch::kByte), 1, 256);
  EXPECT_EQ(big.width, 128 + 2 * 2);
}

// ---- The images evaluator ---------------------------------------------------------------------

// A folder of 8x8 RGB images in two classes (red on the left half, or blue on the right) with
// noise, and a few unlabelled ones; the classifier cache goes to the test's directory.
class ImagesEvalTest : public ::testing_support::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (const char* v = std::getenv("GANTRAIN_CACHE")) previous_cache_ = v;
    ::setenv("GANTRAIN_CACHE", dir_.c_str(), 1);
    torch::manual_seed(0);
    data_ = image_set(400, 2);
    config_.task = "images";
  }
  void TearDown() override {
    if (previous_cache_)
      ::setenv("GANTRAIN_CACHE", previous_cache_->c_str(), 1);
    else
      ::unsetenv("GANTRAIN_CACHE");
    TempDirTest::TearDown();
  }

  static detail::ImageSet image_set(int64_t n, int64_t classes) {
    detail::ImageSet set;
    set.channels = 3;
    set.side = 8;
    set.key = "0123abcd" + std::to_string(classes);
    for (int64_t c = 0; c < classes; ++c) set.classes.push_back("class" + std::to_string(c));
    set.labels = torch::randint(0, classes, {n}, torch::kLong);
    set.labels.narrow(0, 0, 10).fill_(-1);  // top-level files
    torch::Tensor images = torch::rand({n, 3, 8, 8}).mul_(0.3);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = std::max<int64_t>(set.labels[i].item<int64_t>(), 0);
      if (label == 0) images[i][0].narrow(1, 0, 4).add_(0.7);
      else images[i][2].narrow(1, 4, 4).add_(0.7);
    }
    set.pixels = images.mul(255).round().clamp(0, 255).to(torch::kByte).view({n, 192});
    return set;
  }

  std::unique_ptr<Evaluator> evaluator(const std::string& metrics) {
    config_.eval.metrics = metrics;
    std::vector<std::string> groups = detail::images_eval_groups();
    if (metrics != "all") {
      groups.clear();
      std::stringstream in(metrics);
      for (std::string g; std::getline(in, g, ',');) groups.push_back(g);
    }
    return detail::make_images_evaluator(config_, data_, groups, torch::kCPU);
  }

  // A TorchScript feature extractor of 16 random projections of the pixels, saved to a file.
  std::string feature_model(const std::string& forward) {
    torch::jit::Module m("Features");
    m.register_parameter("weight", torch::randn({16, 192}) / 14, false);
    m.define(forward);
    const std::string file = path("features.pt");
    m.save(file);
    return file;
  }
  static constexpr const char* kProjection =
      "def forward(self, x: Tensor) -> Tensor:\n"
      "    return torch.tanh(torch.linear(torch.flatten(x, 1), self.weight))\n";

  static double value(const std::vector<Metric>& metrics, const std::string& name) {
    for (const Metric& m : metrics)
      if (m.name == name) return m.value;
    ADD_FAILURE() << "no metric " << name;
    return 0;
  }

  Config config_;
  detail::ImageSet data_;
  std::optional<std::string> previous_cache_;
};

TEST_F(ImagesEvalTest, GroupsThatCannotApplyAreLeftOutUnderAll) {
  EXPECT_EQ(detail::images_eval_groups(),
            (std::vector<std::string>{"features", "classifier", "memorization", "classes"}));
  LogCapture log;
  auto e = evaluator("all");
  EXPECT_NE(log.text().find("eval: no features metrics: the group needs eval.feature_model"),
            std::string::npos)
      << log.text();
  EXPECT_EQ(e->names(), (std::vector<std::string>{
                            "classifier_accuracy", "classifier_fid", "classifier_fid_real",
                            "inception_score", "inception_score_real", "modes_covered",
                            "memorized_share", "nn_ratio"}));
  std::vector<Metric> metrics = e->evaluate(as_samples(data_.pixels));
  ASSERT_EQ(metrics.size(), e->names().size());
  for (size_t i = 0; i < metrics.size(); ++i) EXPECT_EQ(metrics[i].name, e->names()[i]);
}

TEST_F(ImagesEvalTest, AGroupNamedThatCannotApplyIsAConfigError) {
  EXPECT_THROW_MSG(evaluator("features,memorization"), ConfigError,
                   "eval.metrics = 'features,memorization': the group 'features' needs "
                   "eval.feature_model");
  data_ = image_set(400, 1);
  EXPECT_THROW_MSG(evaluator("classifier"), ConfigError,
                   "the group 'classifier' needs images in 2 or more class folders, found 1");
  data_ = image_set(110, 2);
  EXPECT_THROW_MSG(evaluator("classifier"), ConfigError, "needs at least 111 images in class "
                                                         "folders, found 100");
  LogCapture log;
  EXPECT_EQ(evaluator("all")->names(), (std::vector<std::string>{"memorized_share", "nn_ratio"}));
}

TEST_F(ImagesEvalTest, ClassifierTellsTheFolderFromNoise) {
  LogCapture log;
  auto e = evaluator("classifier");
  EXPECT_NE(log.text().find("evaluation classifier: held-out accuracy 100.00% on 39 images, 2 classes"),
            std::string::npos)
      << log.text();
  std::vector<Metric> real = e->evaluate(as_samples(data_.pixels));
  std::vector<Metric> noise = e->evaluate(torch::rand({400, 192}).mul(2).sub(1));
  EXPECT_DOUBLE_EQ(value(real, "classifier_accuracy"), 1.0);
  EXPECT_LT(value(real, "classifier_fid"), 0.05 * value(noise, "classifier_fid"));
  EXPECT_GT(value(real, "inception_score"), 1.8);
  EXPECT_EQ(value(real, "modes_covered"), 2);
  EXPECT_NEAR(value(real, "inception_score_real"), value(real, "inception_score"), 0.1);
  EXPECT_GE(value(real, "classifier_fid_real"), 0);

  // Trained once: a second evaluator takes the cached classifier.
  log.clear();
  evaluator("classifier");
  EXPECT_NE(log.text().find("evaluation classifier: cached"), std::string::npos) << log.text();
}

TEST_F(ImagesEvalTest, FeatureModelFidIsNearZeroForRealImagesAndLargeForNoise) {
  config_.eval.feature_model = feature_model(kProjection);
  auto e = evaluator("features");
  EXPECT_EQ(e->names(), (std::vector<std::string>{"fid", "fid_real", "kid", "kid_real",
                                                  "precision", "recall"}));
  std::vector<Metric> real = e->evaluate(as_samples(data_.pixels));
  std::vector<Metric> noise = e->evaluate(torch::rand({400, 192}).mul(2).sub(1));
  EXPECT_GT(value(noise, "fid"), 1.0);
  EXPECT_LT(value(real, "fid"), 0.02 * value(noise, "fid"));
  EXPECT_LT(value(real, "fid_real"), 0.05 * value(noise, "fid"));
  EXPECT_LT(std::abs(value(real, "kid")), 0.02 * value(noise, "kid"));
  EXPECT_GT(value(real, "precision"), 0.85);
  EXPECT_GT(value(real, "recall"), 0.9);
  EXPECT_LT(value(noise, "precision"), 0.1);
}

TEST_F(ImagesEvalTest, ABadFeatureModelIsAOneLineErrorNamingTheFile) {
  config_.eval.feature_model = path("missing.pt");
  EXPECT_THROW_MSG(evaluator("features"), Error, "eval.feature_model " + path("missing.pt") +
                                                     ": no such file");
  std::ofstream(path("junk.pt")) << "not a model";
  config_.eval.feature_model = path("junk.pt");
  EXPECT_THROW_MSG(evaluator("features"), Error, ": not a TorchScript module");

  // One number per batch instead of [N, F].
  config_.eval.feature_model =
      feature_model("def forward(self, x: Tensor) -> Tensor:\n    return torch.sum(x)\n");
  try {
    evaluator("features");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "eval.feature_model " + path("features.pt") +
                                         ": returned [] for images [100, 3, 8, 8], expected "
                                         "features [100, F]");
  }
  // A model for other images fails in its forward: the error says on what.
  config_.eval.feature_model = feature_model(
      "def forward(self, x: Tensor) -> Tensor:\n    return torch.linear(x, self.weight)\n");
  try {
    evaluator("features");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find(": failed on images [100, 3, 8, 8] in [-1, 1]: "), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

TEST_F(ImagesEvalTest, MemorizationFindsCopiedTrainingImagesAndDrawsThem) {
  auto e = evaluator("memorization");
  EXPECT_TRUE(e->closest_pairs_png().empty());
  std::vector<Metric> copies = e->evaluate(as_samples(data_.pixels.narrow(0, 100, 50)));
  EXPECT_DOUBLE_EQ(value(copies, "memorized_share"), 1.0);
  EXPECT_NEAR(value(copies, "nn_ratio"), 0.0, 1e-6);
  std::optional<PngHeader> png = read_png_header(e->closest_pairs_png());
  ASSERT_TRUE(png.has_value());
  EXPECT_EQ(png->width, 8 * 8 + 9 * 2);  // 8 pairs of 8x8 tiles
  EXPECT_EQ(png->height, 2 * 8 + 3 * 2);
  EXPECT_EQ(png->color_type, 2);

  std::vector<Metric> fresh = e->evaluate(as_samples(image_set(200, 2).pixels));
  EXPECT_LT(value(fresh, "memorized_share"), 0.05);
  EXPECT_GT(value(fresh, "nn_ratio"), 0.7);
}

}  // namespace
}  // namespace gantrain
