// The evaluation classifier's cache: weights written and read back, missing and damaged files.
#include "gantrain/io/classifier_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gantrain/metrics/classifier.h"
#include "log_capture.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

using ClassifierCacheTest = ::testing_support::TempDirTest;
using ::testing_support::LogCapture;

// Whether every parameter of `a` equals the one of the same name in `b`.
bool same_weights(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  if (pa.size() != pb.size()) return false;
  for (const auto& p : pa)
    if (!pb.contains(p.key()) || !torch::equal(p.value(), pb[p.key()])) return false;
  return true;
}

// A 4x4-image classifier whose weights are not those of a fresh one.
Classifier changed_classifier() {
  Classifier c = make_classifier(4, 3);
  torch::NoGradGuard no_grad;
  for (auto& p : c->parameters()) p.add_(0.5);
  return c;
}

TEST(ClassifierCacheKeyTest, DataChecksumIsTheCrc32OfImagesThenLabels) {
  MnistSplit data;
  data.images.data = {'1', '2', '3', '4', '5'};
  data.labels.data = {'6', '7', '8', '9'};
  EXPECT_EQ(data_checksum(data), "cbf43926");  // CRC-32's check value, of "123456789"
  data.labels.data.clear();
  EXPECT_NE(data_checksum(data), "cbf43926");
  EXPECT_EQ(classifier_cache_file("/c", "v1-cbf43926"), "/c/classifier-v1-cbf43926.pt");
}

TEST_F(ClassifierCacheTest, SavedWeightsLoadBackEqual) {
  const Classifier saved = changed_classifier();
  save_cached_classifier(dir_.string(), "v1-k", *saved);
  EXPECT_EQ(fs::directory_iterator(dir_)->path().string(), path("classifier-v1-k.pt"));

  Classifier loaded = make_classifier(4, 3);
  ASSERT_FALSE(same_weights(*loaded, *saved));
  ASSERT_TRUE(load_cached_classifier(dir_.string(), "v1-k", *loaded, torch::kCPU));
  EXPECT_TRUE(same_weights(*loaded, *saved));
  // Another key (other data, another version) has no file: nothing loads, nothing is said.
  LogCapture log;
  EXPECT_FALSE(load_cached_classifier(dir_.string(), "v2-k", *loaded, torch::kCPU));
  EXPECT_EQ(log.text(), "");
}

TEST_F(ClassifierCacheTest, ADamagedOrMismatchedFileIsAWarningNotAnError) {
  save_cached_classifier(dir_.string(), "k", *changed_classifier());
  const std::string file = path("classifier-k.pt");
  const std::string whole = ::testing_support::read_text(file);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 2);
  Classifier fresh = make_classifier(4, 3);
  LogCapture log;
  EXPECT_FALSE(load_cached_classifier(dir_.string(), "k", *fresh, torch::kCPU));
  EXPECT_NE(log.text().find(file + ": cached classifier unusable, training a new one: "),
            std::string::npos)
      << log.text();

  // A whole file of another shape (8x8 images): it reads, but does not fit.
  save_cached_classifier(dir_.string(), "k", *make_classifier(8, 3));
  log.clear();
  EXPECT_FALSE(load_cached_classifier(dir_.string(), "k", *fresh, torch::kCPU));
  EXPECT_NE(log.text().find("cached classifier unusable"), std::string::npos) << log.text();
}

TEST_F(ClassifierCacheTest, AnUnwritableDirectoryIsAWarningNotAnError) {
  LogCapture log;
  EXPECT_NO_THROW(save_cached_classifier(path("no/such/dir"), "k", *make_classifier(4, 3)));
  EXPECT_NE(log.text().find("(the classifier will not be cached)"), std::string::npos)
      << log.text();
}

}  // namespace
}  // namespace gantrain
