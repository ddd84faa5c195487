// The images task's decoded cache: reused while the folder and settings stay the same, rebuilt
// when a file is touched, added or removed or a setting changes, and never decoded twice by
// ranks that open it together.
#include "gantrain/data/image_cache.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "image_fixtures.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;
using test_images::png_bytes;
using test_images::solid;
using test_images::write_file;

class ImageCacheTest : public ::testing_support::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    root_ = path("pictures");
    cache_dir_ = path("cache");
    // Two classes of 4 solid pictures each, and one unlabelled picture at the top.
    for (int i = 0; i < 4; ++i) {
      write_file(root_ + "/cats/" + std::to_string(i) + ".png",
                 png_bytes(solid(20, 12, 3, {uint8_t(200), 10, uint8_t(10 * i), 255})));
      write_file(root_ + "/dogs/" + std::to_string(i) + ".png",
                 png_bytes(solid(9, 9, 3, {10, 200, uint8_t(10 * i), 255})));
    }
    write_file(root_ + "/top.png", png_bytes(solid(5, 5, 3, {1, 2, 3, 255})));
    settings_.resolution = 8;
  }
  ImageCache open(OnBadFile on_bad = OnBadFile::kSkip) {
    return open_image_cache(root_, settings_, cache_dir_, on_bad);
  }
  // Pushes a file's modification time forward, as an edit would.
  void touch(const std::string& file) {
    fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
  }

  std::string root_, cache_dir_;
  DecodeSettings settings_;
};

TEST_F(ImageCacheTest, DecodesOnceThenReusesTheFileWithTheSamePixels) {
  const ImageCache first = open();
  EXPECT_TRUE(first.rebuilt);
  ASSERT_EQ(first.count, 9);
  EXPECT_EQ(first.channels, 3);
  EXPECT_EQ(first.resolution, 8);
  EXPECT_EQ(first.classes, (std::vector<std::string>{"cats", "dogs"}));
  EXPECT_EQ(first.labels, (std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, -1}));
  const std::vector<uint8_t> pixels(first.pixels, first.pixels + 9 * 3 * 8 * 8);
  EXPECT_EQ(pixels[0], 200);  // cats/0.png: red channel of the first pixel

  const ImageCache again = open();
  EXPECT_FALSE(again.rebuilt);
  EXPECT_EQ(again.file, first.file);
  EXPECT_EQ(again.fingerprint, first.fingerprint);
  EXPECT_EQ(std::vector<uint8_t>(again.pixels, again.pixels + pixels.size()), pixels);
  std::printf("[ figures  ] 9 images: decoded in %.4f s, cache loaded in %.4f s\n", first.seconds,
              again.seconds);
}

TEST_F(ImageCacheTest, IsRebuiltAfterATouchAnAddedFileARemovedFileOrAChangedSetting) {
  std::string fingerprint = open().fingerprint;
  auto expect_rebuilt = [&](const char* what) {
    const ImageCache cache = open();
    EXPECT_TRUE(cache.rebuilt) << what;
    EXPECT_NE(cache.fingerprint, fingerprint) << what;
    fingerprint = cache.fingerprint;
    EXPECT_FALSE(open().rebuilt) << what << ", opened again";
  };
  touch(root_ + "/cats/1.png");
  expect_rebuilt("touched");
  write_file(root_ + "/dogs/new.png", png_bytes(solid(3, 3, 3, {0, 0, 0, 255})));
  expect_rebuilt("added");
  EXPECT_EQ(open().count, 10);
  fs::remove(root_ + "/cats/0.png");
  expect_rebuilt("removed");
  EXPECT_EQ(open().count, 9);
  settings_.fit = FitMode::kPad;
  expect_rebuilt("data.fit");
  settings_.max_pixels = 100;  // 20 x 12 = 240 pixels: the cats go
  expect_rebuilt("data.max_pixels");
  EXPECT_EQ(open().classes, (std::vector<std::string>{"dogs"}));
  EXPECT_EQ(open().empty_classes, (std::vector<std::string>{"cats"}));
}

TEST_F(ImageCacheTest, TheResolvedChannelCountReusesTheAutomaticOnesCache) {
  const ImageCache automatic = open();
  settings_.channels = 3;  // what a resumed run's config holds after "automatic" resolved
  EXPECT_FALSE(open().rebuilt);
  settings_.channels = 1;
  const ImageCache gray = open();
  EXPECT_TRUE(gray.rebuilt);
  EXPECT_EQ(gray.channels, 1);
}

TEST_F(ImageCacheTest, AnotherResolutionIsAnotherFile) {
  const ImageCache small = open();
  settings_.resolution = 16;
  const ImageCache large = open();
  EXPECT_TRUE(large.rebuilt);
  EXPECT_NE(small.file, large.file);
  settings_.resolution = 8;
  EXPECT_FALSE(open().rebuilt);
}

TEST_F(ImageCacheTest, BadFilesAreListedAndSummarisedOrStopTheRunWhenAsked) {
  write_file(root_ + "/cats/empty.png", "");
  write_file(root_ + "/dogs/notes.png", "not a picture");
  const ImageCache cache = open();
  EXPECT_EQ(cache.count, 9);
  ASSERT_EQ(cache.skipped.size(), 2u);
  EXPECT_EQ(cache.files_found, 11);
  const std::string summary = skipped_summary(cache);
  EXPECT_NE(summary.find("skipped 2 of 11 image files that could not be read (first: cats/empty.png: "),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("dogs/notes.png"), std::string::npos) << summary;
  // The reused cache keeps the list, and on_bad_file = error names the first file either way.
  EXPECT_EQ(open().skipped.size(), 2u);
  EXPECT_THROW_MSG(open(OnBadFile::kError), Error, "cats/empty.png");
  fs::remove_all(cache_dir_);
  EXPECT_THROW_MSG(open(OnBadFile::kError), Error, "data.on_bad_file = error");
}

TEST_F(ImageCacheTest, AFolderWithoutReadablePicturesIsOneClearError) {
  const std::string empty = path("empty");
  fs::create_directories(empty);
  write_file(empty + "/notes.txt", "hello");
  EXPECT_THROW_MSG(open_image_cache(empty, settings_, cache_dir_, OnBadFile::kSkip), Error,
                   "no image files");
  const std::string broken = path("broken");
  write_file(broken + "/a.png", "");
  write_file(broken + "/b.jpg", "xx");
  EXPECT_THROW_MSG(open_image_cache(broken, settings_, cache_dir_, OnBadFile::kSkip), Error,
                   "none of its 2 image files could be read");
  EXPECT_THROW_MSG(open_image_cache(path("missing"), settings_, cache_dir_, OnBadFile::kSkip),
                   Error, "missing");
  EXPECT_THROW_MSG(open_image_cache(root_ + "/top.png", settings_, cache_dir_, OnBadFile::kSkip),
                   Error, "top.png");
}

TEST_F(ImageCacheTest, ConcurrentOpenersDecodeOnce) {
  auto opened = [&] { return open(); };
  auto a = std::async(std::launch::async, opened);
  auto b = std::async(std::launch::async, opened);
  const ImageCache first = a.get(), second = b.get();
  EXPECT_NE(first.rebuilt, second.rebuilt);  // one decoded, the other reused its file
  EXPECT_EQ(first.fingerprint, second.fingerprint);
}

TEST_F(ImageCacheTest, ADamagedCacheFileIsRebuilt) {
  const ImageCache cache = open();
  write_file(cache.file, "gantrain image cache 0\ngarbage");
  EXPECT_TRUE(open().rebuilt);
}

}  // namespace
}  // namespace gantrain
