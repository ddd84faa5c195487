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

}  // namespace
}  // namespace gantrain
