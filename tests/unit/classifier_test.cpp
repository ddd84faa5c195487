// The evaluation classifier: trained once per data set, then taken from the cache.
#include "gantrain/metrics/classifier.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <optional>
#include <string>

#include "gantrain/io/classifier_cache.h"
#include "log_capture.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

using ::testing_support::LogCapture;

// Points $GANTRAIN_CACHE at the test's directory, and back at what it was afterwards.
class ClassifierTest : public ::testing_support::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (const char* v = std::getenv("GANTRAIN_CACHE")) previous_ = v;
    ::setenv("GANTRAIN_CACHE", dir_.c_str(), 1);
    torch::manual_seed(0);
  }
  void TearDown() override {
    if (previous_)
      ::setenv("GANTRAIN_CACHE", previous_->c_str(), 1);
    else
      ::unsetenv("GANTRAIN_CACHE");
    TempDirTest::TearDown();
  }
  // 100 random 4x4 images of 2 classes, one epoch: trained in milliseconds.
  Classifier classifier(const std::string& key) {
    return cached_classifier(images_, labels_, 4, 2, 1, key, torch::kCPU);
  }

  torch::Tensor images_ = torch::randint(0, 256, {100, 16}, torch::kByte);
  torch::Tensor labels_ = torch::randint(0, 2, {100}, torch::kLong);
  std::optional<std::string> previous_;
};

bool same_weights(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

TEST_F(ClassifierTest, CachedClassifierTrainsOnceThenLoadsTheCache) {
  const std::string file = path("classifier-v" + std::to_string(kClassifierVersion) + "-data.pt");
  LogCapture log;
  const Classifier trained = classifier("data");
  EXPECT_NE(log.text().find("evaluation classifier: training on 100 images, 1 epochs"),
            std::string::npos)
      << log.text();
  ASSERT_TRUE(std::ifstream(file).good());

  // What the cache holds is what comes back, not a classifier trained again.
  Classifier other = make_classifier(4, 2);
  save_cached_classifier(dir_.string(), "v" + std::to_string(kClassifierVersion) + "-data", *other);
  log.clear();
  const Classifier loaded = classifier("data");
  EXPECT_EQ(log.text(), "evaluation classifier: cached " + file + "\n");
  EXPECT_TRUE(same_weights(*loaded, *other));
  EXPECT_FALSE(same_weights(*loaded, *trained));
}

TEST_F(ClassifierTest, ADamagedCacheFileIsTrainedAgainAndReplaced) {
  const Classifier trained = classifier("data");
  const std::string file = path("classifier-v" + std::to_string(kClassifierVersion) + "-data.pt");
  std::ofstream(file, std::ios::trunc) << "not a checkpoint";
  LogCapture log;
  const Classifier retrained = classifier("data");
  EXPECT_NE(log.text().find("cached classifier unusable, training a new one"), std::string::npos)
      << log.text();
  EXPECT_TRUE(same_weights(*retrained, *trained));  // seeded: the same data, the same weights
  Classifier back = make_classifier(4, 2);
  EXPECT_TRUE(load_cached_classifier(dir_.string(), "v" + std::to_string(kClassifierVersion) + "-data",
                                     *back, torch::kCPU));
  EXPECT_TRUE(same_weights(*back, *trained));
}

// Colour images of any side: the convolutions see them at 32x32 (or their own side, up to 32,
// when a multiple of 4), so the first layer takes the channels and fc1 the resized grid.
TEST(ClassifierInputs, ColourAndLargeImagesAreResizedBeforeTheConvolutions) {
  EXPECT_EQ(classifier_input_side(28), 28);
  EXPECT_EQ(classifier_input_side(8), 8);
  EXPECT_EQ(classifier_input_side(30), 32);
  EXPECT_EQ(classifier_input_side(1024), 32);
  Classifier mnist = make_classifier(28, 10);
  EXPECT_EQ(mnist->named_parameters()["conv1.weight"].sizes(), (std::vector<int64_t>{16, 1, 5, 5}));
  EXPECT_EQ(mnist->named_parameters()["fc1.weight"].sizes(), (std::vector<int64_t>{128, 32 * 7 * 7}));
  for (int64_t side : {30, 64, 100}) {
    Classifier c = make_classifier(side, 4, 3);
    EXPECT_EQ(c->named_parameters()["conv1.weight"].sizes(), (std::vector<int64_t>{16, 3, 5, 5}));
    EXPECT_EQ(c->named_parameters()["fc1.weight"].sizes(), (std::vector<int64_t>{128, 32 * 8 * 8}));
    ClassifierOutputs out = classify(c, torch::randint(0, 256, {5, 3 * side * side}, torch::kByte));
    EXPECT_EQ(out.features.sizes(), (std::vector<int64_t>{5, kClassifierFeatures}));
    EXPECT_EQ(out.probabilities.sizes(), (std::vector<int64_t>{5, 4}));
  }
  EXPECT_THROW(classify(mnist, torch::zeros({2, 3 * 28 * 28})), c10::Error);
}

TEST(ClassifierInputs, LearnsColourClassesOfLargeImages) {
  // 48x48 RGB: the class is the channel that is bright, under noise.
  torch::manual_seed(0);
  const int64_t n = 300, side = 48;
  torch::Tensor labels = torch::randint(0, 3, {n}, torch::kLong);
  torch::Tensor images = torch::rand({n, 3, side, side}).mul_(0.5);
  images += torch::one_hot(labels, 3).to(torch::kFloat).view({n, 3, 1, 1}).mul(0.5);
  torch::Tensor pixels = images.mul(255).to(torch::kByte).view({n, -1});
  Classifier c = train_classifier(pixels.narrow(0, 0, 200), labels.narrow(0, 0, 200), side, 3, 3,
                                  torch::kCPU, 3);
  EXPECT_GT(classifier_accuracy(c, pixels.narrow(0, 200, 100), labels.narrow(0, 200, 100)), 0.95);
}

}  // namespace
}  // namespace gantrain
