#include "gantrain/io/png.h"

#include <gtest/gtest.h>
#include <stb_image.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gantrain/error.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

uint8_t at(const Image& im, int64_t x, int64_t y, int64_t c = 0) {
  return im.pixels[static_cast<size_t>((y * im.width + x) * im.channels + c)];
}

class PngTest : public testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("gantrain_png_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `im`, reads it back with stb_image and checks it is identical.
  void round_trip(const Image& im) {
    const std::string path = (dir_ / "grid.png").string();
    write_png(path, im);
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    int w = 0, h = 0, c = 0;
    stbi_uc* px = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                        static_cast<int>(bytes.size()), &w, &h, &c, 0);
    ASSERT_NE(px, nullptr) << stbi_failure_reason();
    EXPECT_EQ(w, im.width);
    EXPECT_EQ(h, im.height);
    EXPECT_EQ(c, im.channels);
    EXPECT_EQ(std::vector<uint8_t>(px, px + w * h * c), im.pixels);
    stbi_image_free(px);
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  }

  fs::path dir_;
};

TEST_F(PngTest, GridSize) {
  const std::vector<float> images(5 * 1 * 3 * 4, 0.0f);
  Image g = make_grid(images.data(), 5, 1, 3, 4, /*nrow=*/2);
  EXPECT_EQ(g.width, 2 * 4 + 3 * 2);
  EXPECT_EQ(g.height, 3 * 3 + 4 * 2);
  EXPECT_EQ(g.channels, 1);
  EXPECT_EQ(g.pixels.size(), static_cast<size_t>(g.width * g.height));

  Image one_row = make_grid(images.data(), 3, 1, 3, 4, /*nrow=*/8, /*pad=*/0);
  EXPECT_EQ(one_row.width, 12);
  EXPECT_EQ(one_row.height, 3);
}

TEST_F(PngTest, UpscaleRepeatsEachPixel) {
  Image rgb{2, 1, 3, {1, 2, 3, 4, 5, 6}};
  Image big = upscale(rgb, 3);
  EXPECT_EQ(big.width, 6);
  EXPECT_EQ(big.height, 3);
  for (int64_t y = 0; y < 3; ++y)
    for (int64_t x = 0; x < 6; ++x)
      for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(at(big, x, y, c), at(rgb, x / 3, 0, c));
  EXPECT_EQ(upscale(rgb, 1).pixels, rgb.pixels);
  EXPECT_THROW(upscale(rgb, 0), Error);
  round_trip(big);
}

TEST_F(PngTest, GridPixelValuesAndPlacement) {
  // 3 gray 2x2 images, 2 per row, pad 1: image k holds {-1, 1, 0, 5} + a per-image marker.
  std::vector<float> images = {-1, 1, 0, 5, /**/ -3, 0.5f, -1, -1, /**/ 1, 1, 1, 1};
  Image g = make_grid(images.data(), 3, 1, 2, 2, 2, /*pad=*/1);
  ASSERT_EQ(g.width, 7);
  ASSERT_EQ(g.height, 7);
  EXPECT_EQ(at(g, 1, 1), 0);    // -1
  EXPECT_EQ(at(g, 2, 1), 255);  // 1
  EXPECT_EQ(at(g, 1, 2), 128);  // 0 -> 127.5 rounds up
  EXPECT_EQ(at(g, 2, 2), 255);  // 5 clamps
  EXPECT_EQ(at(g, 4, 1), 0);    // image 1 at column 1: -3 clamps
  EXPECT_EQ(at(g, 5, 1), 191);  // 0.5 -> 191.25
  EXPECT_EQ(at(g, 1, 4), 255);  // image 2 starts the second row
  EXPECT_EQ(at(g, 5, 5), 0);    // empty last tile stays black
  for (int64_t i = 0; i < 7; ++i) {  // border and gaps are padding
    EXPECT_EQ(at(g, i, 0), 0);
    EXPECT_EQ(at(g, 0, i), 0);
    EXPECT_EQ(at(g, 3, i), 0);
    EXPECT_EQ(at(g, i, 3), 0);
    EXPECT_EQ(at(g, 6, i), 0);
  }
}

TEST_F(PngTest, RgbChannelsInterleave) {
  // One 1x2 RGB image, planes R = 1, G = -1, B = 0.
  const std::vector<float> images = {1, 1, -1, -1, 0, 0};
  Image g = make_grid(images.data(), 1, 3, 1, 2, 1, /*pad=*/0);
  ASSERT_EQ(g.pixels.size(), 6u);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{255, 0, 128, 255, 0, 128}));
}

TEST_F(PngTest, RejectsBadArguments) {
  const std::vector<float> images(12, 0.0f);
  EXPECT_THROW(make_grid(images.data(), 0, 1, 2, 2, 1), Error);
  EXPECT_THROW(make_grid(images.data(), 1, 2, 2, 2, 1), Error);
  EXPECT_THROW(make_grid(images.data(), 1, 1, 0, 2, 1), Error);
  EXPECT_THROW(make_grid(images.data(), 1, 1, 2, 2, 0), Error);
  EXPECT_THROW(make_grid(images.data(), 1, 1, 2, 2, 1, -1), Error);
}

TEST_F(PngTest, WritesGrayPngThatReadsBack) {
  std::vector<float> images(6 * 5 * 4);
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<float>(i % 17) / 8.0f - 1.0f;
  round_trip(make_grid(images.data(), 6, 1, 5, 4, 4));
}

TEST_F(PngTest, WritesRgbPngThatReadsBack) {
  std::vector<float> images(3 * 3 * 4 * 4);
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<float>(i % 13) / 6.0f - 1.0f;
  round_trip(make_grid(images.data(), 3, 3, 4, 4, 2));
}

TEST_F(PngTest, MissingDirectoryThrowsWithPath) {
  const std::vector<float> images(4, 0.0f);
  const std::string path = (dir_ / "no_such_dir" / "grid.png").string();
  try {
    write_png(path, make_grid(images.data(), 1, 1, 2, 2, 1));
    ADD_FAILURE() << "no gantrain::Error thrown";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST_F(PngTest, RejectsInconsistentImage) {
  Image bad{3, 3, 1, std::vector<uint8_t>(8)};
  EXPECT_THROW(write_png((dir_ / "bad.png").string(), bad), Error);
  EXPECT_FALSE(fs::exists(dir_ / "bad.png"));
}

}  // namespace
}  // namespace gantrain
