#include "gantrain/data/image_folder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "image_fixtures.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;
using test_images::Colour;
using test_images::Picture;
using test_images::solid;

DecodeSettings settings(int64_t resolution, FitMode fit = FitMode::kCrop) {
  DecodeSettings s;
  s.resolution = resolution;
  s.fit = fit;
  return s;
}

// One sample of [channels, res, res] pixels.
int at(const std::vector<uint8_t>& px, int64_t res, int64_t c, int64_t x, int64_t y) {
  return px[static_cast<size_t>((c * res + y) * res + x)];
}

// Every pixel of `px` is within `tolerance` of `colour` (its first `channels` samples).
void expect_solid(const std::vector<uint8_t>& px, int64_t res, int64_t channels, Colour colour,
                  int tolerance, const std::string& what) {
  ASSERT_EQ(px.size(), static_cast<size_t>(channels * res * res)) << what;
  int worst = 0;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < res * res; ++i)
      worst = std::max(worst, std::abs(px[static_cast<size_t>(c * res * res + i)] - colour[c]));
  EXPECT_LE(worst, tolerance) << what;
}

std::vector<uint8_t> decode(const std::string& bytes, int64_t res, int64_t channels,
                            FitMode fit = FitMode::kCrop) {
  return decode_picture(bytes, settings(res, fit), channels);
}

std::string decode_error(const std::string& bytes, const DecodeSettings& s = settings(8)) {
  try {
    decode_picture(bytes, s, 3);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ImageFolderTest : public testing_support::TempDirTest {};

TEST(ImageFolder, ImageFileNames) {
  for (const char* name : {"a.png", "a.PNG", "b/c.JPG", "x.jpeg", "x.Jpeg", "x.bmp", "x.gif",
                           "x.tga", "x.pnm", "x.pgm", "x.ppm", "d.e/f g.png"})
    EXPECT_TRUE(is_image_file_name(name)) << name;
  for (const char* name : {"notes.txt", ".DS_Store", "Thumbs.db", "png", "a.png/b", "x.webp",
                           "x.png.txt", "dir.png/readme"})
    EXPECT_FALSE(is_image_file_name(name)) << name;
}

TEST(ImageFolder, EveryFormatKeepsASolidColour) {
  const Colour c = {200, 80, 40, 255};
  struct Case {
    const char* name;
    std::string bytes;
    int tolerance;
  };
  const std::vector<Case> cases = {
      {"png rgb", test_images::png_bytes(solid(7, 5, 3, c)), 0},
      {"png rgba opaque", test_images::png_bytes(solid(7, 5, 4, c)), 0},
      {"png 16-bit rgb", test_images::png16_bytes(solid(7, 5, 3, c)), 0},
      {"png 16-bit rgba", test_images::png16_bytes(solid(7, 5, 4, c)), 0},
      {"png palette", test_images::palette_png_bytes(solid(7, 5, 3, c)), 0},
      {"jpeg baseline", test_images::jpeg_bytes(solid(16, 9, 3, c)), 4},
      {"jpeg progressive", test_images::progressive_jpeg_bytes(), 4},
      {"bmp", test_images::bmp_bytes(solid(7, 5, 3, c)), 0},
      {"bmp 32-bit", test_images::bmp_bytes(solid(7, 5, 4, c)), 0},
      {"gif", test_images::gif_bytes({solid(7, 5, 3, c)}), 0},
      {"tga", test_images::tga_bytes(solid(7, 5, 3, c)), 0},
      {"ppm", test_images::pnm_bytes(solid(7, 5, 3, c)), 0},
  };
  for (const Case& k : cases)
    for (FitMode fit : {FitMode::kCrop, FitMode::kStretch}) {
      SCOPED_TRACE(k.name);
      expect_solid(decode(k.bytes, 8, 3, fit), 8, 3, c, k.tolerance, k.name);
    }
}

TEST(ImageFolder, GrayFormatsAndGrayToRgb) {
  const Colour g = {90, 255, 0, 0};
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"png gray", test_images::png_bytes(solid(5, 5, 1, g))},
           {"png gray+alpha", test_images::png_bytes(solid(5, 5, 2, g))},
           {"png 16-bit gray", test_images::png16_bytes(solid(5, 5, 1, g))},
           {"png 16-bit gray+alpha", test_images::png16_bytes(solid(5, 5, 2, g))},
           {"pgm", test_images::pnm_bytes(solid(5, 5, 1, g))},
           {"tga gray", test_images::tga_bytes(solid(5, 5, 1, g))},
       }) {
    expect_solid(decode(bytes, 4, 1), 4, 1, {90}, 0, name);
    expect_solid(decode(bytes, 4, 3), 4, 3, {90, 90, 90}, 0, name + " to RGB");
  }
}

TEST(ImageFolder, RgbToGrayIsRoundedLuma) {
  // 0.299 * 200 + 0.587 * 80 + 0.114 * 40 = 111.32
  expect_solid(decode(test_images::png_bytes(solid(3, 3, 3, {200, 80, 40})), 3, 1), 3, 1, {111},
               0, "luma");
  // 0.299 * 255 + 0.587 * 255 = 225.93 -> 226
  expect_solid(decode(test_images::png_bytes(solid(3, 3, 3, {255, 255, 0})), 3, 1), 3, 1, {226},
               0, "rounded up");
}

TEST(ImageFolder, AlphaIsCompositedOnBlack) {
  // A half-transparent white gives about half gray, whatever the layout.
  expect_solid(decode(test_images::png_bytes(solid(2, 2, 4, {255, 255, 255, 128})), 2, 3), 2, 3,
               {128, 128, 128}, 0, "rgba");
  expect_solid(decode(test_images::png_bytes(solid(2, 2, 2, {255, 128})), 2, 1), 2, 1, {128}, 0,
               "gray+alpha");
  expect_solid(decode(test_images::palette_png_bytes(solid(2, 2, 4, {255, 255, 255, 128})), 2, 3),
               2, 3, {128, 128, 128}, 0, "palette with tRNS");
  expect_solid(decode(test_images::png16_bytes(solid(2, 2, 4, {255, 255, 255, 128})), 2, 3), 2, 3,
               {128, 128, 128}, 0, "16-bit rgba");
  expect_solid(decode(test_images::png_bytes(solid(2, 2, 4, {200, 80, 40, 0})), 2, 3), 2, 3,
               {0, 0, 0}, 0, "fully transparent");
  expect_solid(decode(test_images::png_bytes(solid(2, 2, 4, {200, 100, 40, 51})), 2, 3), 2, 3,
               {40, 20, 8}, 0, "a fifth opaque");
}

TEST(ImageFolder, PixelsKeepTheirPlaceAtTheSameSize) {
  // 2x2 with four colours and no resize: checks orientation and the [C, H, W] layout.
  Picture p = solid(2, 2, 3, {255, 0, 0});
  test_images::fill(p, 1, 0, 2, 1, {0, 255, 0, 255});
  test_images::fill(p, 0, 1, 1, 2, {0, 0, 255, 255});
  test_images::fill(p, 1, 1, 2, 2, {255, 255, 255, 255});
  for (const auto& bytes : {test_images::png_bytes(p), test_images::palette_png_bytes(p),
                            test_images::png16_bytes(p), test_images::bmp_bytes(p),
                            test_images::tga_bytes(p), test_images::pnm_bytes(p),
                            test_images::gif_bytes({p})}) {
    const auto px = decode(bytes, 2, 3);
    const std::vector<uint8_t> expected = {255, 0, 0, 255,    // red plane: TL, TR, BL, BR
                                           0, 255, 0, 255,    // green
                                           0, 0, 255, 255};   // blue
    EXPECT_EQ(px, expected);
  }
}

TEST(ImageFolder, GifGivesTheFirstFrame) {
  const auto bytes =
      test_images::gif_bytes({solid(4, 4, 3, {255, 0, 0}), solid(4, 4, 3, {0, 255, 0})});
  expect_solid(decode(bytes, 4, 3), 4, 3, {255, 0, 0}, 0, "first frame");
  // A frame larger than 100 pixels spans several LZW clear codes.
  Picture big = solid(30, 20, 3, {10, 20, 30});
  test_images::fill(big, 15, 0, 30, 20, {250, 240, 230, 255});
  const auto px = decode(test_images::gif_bytes({big}), 20, 3, FitMode::kCrop);
  EXPECT_EQ(at(px, 20, 0, 0, 0), 10);
  EXPECT_EQ(at(px, 20, 0, 19, 19), 250);
}

// A 60x20 picture of three 20x20 squares: red, green, blue (and its 20x60 transpose).
Picture three_squares(bool tall) {
  Picture p = solid(tall ? 20 : 60, tall ? 60 : 20, 3, {255, 0, 0});
  if (tall) {
    test_images::fill(p, 0, 20, 20, 40, {0, 255, 0, 255});
    test_images::fill(p, 0, 40, 20, 60, {0, 0, 255, 255});
  } else {
    test_images::fill(p, 20, 0, 40, 20, {0, 255, 0, 255});
    test_images::fill(p, 40, 0, 60, 20, {0, 0, 255, 255});
  }
  return p;
}

TEST(ImageFolder, CropKeepsTheCentre) {
  for (bool tall : {false, true}) {
    const auto px = decode(test_images::png_bytes(three_squares(tall)), 10, 3, FitMode::kCrop);
    expect_solid(px, 10, 3, {0, 255, 0}, 0, tall ? "tall" : "wide");
  }
}

TEST(ImageFolder, PadLeavesBlackBars) {
  // 60x20 white -> 12x4 in the middle of 12x12: rows 0-3 and 8-11 black.
  const auto wide = decode(test_images::png_bytes(solid(60, 20, 3, {255, 255, 255})), 12, 3,
                           FitMode::kPad);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(at(wide, 12, c, x, y), y >= 4 && y < 8 ? 255 : 0) << x << "," << y;
  // And the tall one gets bars left and right.
  const auto tall = decode(test_images::png_bytes(solid(20, 60, 3, {255, 255, 255})), 12, 1,
                           FitMode::kPad);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x) ASSERT_EQ(at(tall, 12, 0, x, y), x >= 4 && x < 8 ? 255 : 0);
  // The content itself keeps its order: red, green, blue from left to right.
  const auto squares = decode(test_images::png_bytes(three_squares(false)), 30, 3, FitMode::kPad);
  EXPECT_EQ(at(squares, 30, 0, 2, 15), 255);
  EXPECT_EQ(at(squares, 30, 1, 15, 15), 255);
  EXPECT_EQ(at(squares, 30, 2, 27, 15), 255);
  EXPECT_EQ(at(squares, 30, 0, 15, 2), 0);  // bar
}

TEST(ImageFolder, StretchKeepsEverything) {
  const auto px = decode(test_images::png_bytes(three_squares(false)), 12, 3, FitMode::kStretch);
  for (int y = 0; y < 12; ++y) {
    EXPECT_EQ(at(px, 12, 0, 0, y), 255);  // red on the left
    EXPECT_EQ(at(px, 12, 1, 6, y), 255);  // green in the middle
    EXPECT_EQ(at(px, 12, 2, 11, y), 255);  // blue on the right
  }
}

TEST(ImageFolder, SizesFromOnePixelToLarge) {
  const Colour c = {200, 80, 40, 255};
  const auto one = test_images::png_bytes(solid(1, 1, 3, c));
  const auto square = test_images::png_bytes(solid(1000, 1000, 3, c));
  for (FitMode fit : {FitMode::kCrop, FitMode::kPad, FitMode::kStretch}) {
    expect_solid(decode(one, 16, 3, fit), 16, 3, c, 0, "1x1 up");
    expect_solid(decode(square, 32, 3, fit), 32, 3, c, 1, "1000x1000 down");
  }
  const auto big = test_images::png_bytes(solid(1000, 700, 3, c));
  expect_solid(decode(big, 32, 3, FitMode::kCrop), 32, 3, c, 1, "1000x700 crop");
  expect_solid(decode(big, 32, 3, FitMode::kStretch), 32, 3, c, 1, "1000x700 stretch");
  const auto padded = decode(big, 32, 3, FitMode::kPad);  // 32x22 (22.4) at rows 5-26
  EXPECT_EQ(at(padded, 32, 0, 16, 4), 0);
  EXPECT_NEAR(at(padded, 32, 0, 16, 5), 200, 1);
  EXPECT_NEAR(at(padded, 32, 0, 16, 26), 200, 1);
  EXPECT_EQ(at(padded, 32, 0, 16, 27), 0);
  EXPECT_NEAR(at(padded, 32, 1, 0, 16), 80, 1);
}

TEST(ImageFolder, DownscalingFiltersInsteadOfPicking) {
  // A one-pixel checkerboard: nearest-neighbour would give 0 or 255, a filter about 128.
  Picture p = solid(1000, 700, 1, {0});
  for (int y = 0; y < 700; ++y)
    for (int x = (y & 1); x < 1000; x += 2) p.pixels[static_cast<size_t>(y) * 1000 + x] = 255;
  const auto px = decode(test_images::png_bytes(p), 16, 1, FitMode::kStretch);
  for (uint8_t v : px) ASSERT_NEAR(v, 128, 3);
}

TEST(ImageFolder, BadBytesGiveReasons) {
  const std::string png = test_images::png_bytes(solid(20, 20, 3, {1, 2, 3}));
  EXPECT_EQ(decode_error(""), "empty file");
  EXPECT_TRUE(contains(decode_error(png.substr(0, png.size() / 2)), "truncated or corrupt PNG"))
      << decode_error(png.substr(0, png.size() / 2));
  EXPECT_TRUE(contains(decode_error(png.substr(0, 30)), "truncated or corrupt PNG"));
  EXPECT_TRUE(contains(decode_error("hello, this is text\n"), "not a PNG, JPEG"));
  // stb_image takes a PNM cut after its magic number for a 0x0 picture; stb_image_resize would
  // then abort.
  EXPECT_EQ(decode_error("P6"), "truncated or corrupt PNM (0x0)");
  EXPECT_EQ(decode_error(test_images::png_header_only(50000, 50000)),
            "50000x50000 is over data.max_pixels = 50000000");
  DecodeSettings small = settings(8);
  small.max_pixels = 100;
  EXPECT_EQ(decode_error(png, small), "20x20 is over data.max_pixels = 100");
  EXPECT_EQ(decode_error(test_images::jpeg_bytes(solid(20, 20, 3, {1, 2, 3})), small),
            "20x20 is over data.max_pixels = 100");
  EXPECT_EQ(decode_error(test_images::gif_bytes({solid(20, 20, 3, {1, 2, 3})}), small),
            "20x20 is over data.max_pixels = 100");
  // A JPEG cut short decodes to something or fails with a reason; it never crashes.
  const std::string jpeg = test_images::jpeg_bytes(solid(64, 64, 3, {1, 2, 3}));
  for (size_t keep : {size_t{3}, size_t{20}, jpeg.size() / 3, jpeg.size() - 2}) {
    const std::string reason = decode_error(jpeg.substr(0, keep));
    EXPECT_TRUE(reason == "(no error)" || contains(reason, "JPEG")) << keep << ": " << reason;
  }
}

TEST(ImageFolder, HugeHeadersOfEveryFormatAreOverMaxPixels) {
  // stbi_info refuses some of these itself (over its own limits); the reason still names
  // max_pixels, and nothing is allocated for the pixels.
  std::string jpeg = test_images::jpeg_bytes(solid(8, 8, 3, {1, 2, 3}));
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = jpeg[sof + 7] = static_cast<char>(0xc3);  // 50000 = 0xc350
  jpeg[sof + 6] = jpeg[sof + 8] = static_cast<char>(0x50);
  std::string gif = test_images::gif_bytes({solid(2, 2, 3, {1, 2, 3})});
  gif[6] = gif[8] = static_cast<char>(0x50);
  gif[7] = gif[9] = static_cast<char>(0xc3);
  const std::string ppm = "P6\n50000 50000\n255\n";
  for (const auto& bytes : {test_images::png_header_only(50000, 50000), jpeg, gif, ppm})
    EXPECT_EQ(decode_error(bytes), "50000x50000 is over data.max_pixels = 50000000");
  // Sizes whose product overflows 64 bits.
  EXPECT_EQ(decode_error(test_images::png_header_only(0xffffffff, 0xffffffff)),
            "4294967295x4294967295 is over data.max_pixels = 50000000");
  EXPECT_TRUE(contains(decode_error("P6\n99999999999999999999 99999999999999999999\n255\n"),
                       "is over data.max_pixels"));
}

TEST_F(ImageFolderTest, ScanRootErrorsNameThePath) {
  EXPECT_THROW_MSG(scan_image_folder(path("missing")), Error, path("missing"));
  EXPECT_THROW_MSG(scan_image_folder(path("missing")), Error, "does not exist");
  test_images::write_file(path("file.png"), "x");
  EXPECT_THROW_MSG(scan_image_folder(path("file.png")), Error, "is not a directory");
}

TEST_F(ImageFolderTest, ScanFindsImagesOnly) {
  const auto messy = test_images::write_messy_folder(path("data"));
  const FolderScan scan = scan_image_folder(path("data"));
  std::vector<std::string> expected = messy.good;
  for (const auto& b : messy.bad) expected.push_back(b.path);
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> found;
  for (const SourceFile& f : scan.files) {
    found.push_back(f.path);
    EXPECT_GT(f.mtime_ns, 0) << f.path;
    EXPECT_EQ(f.folder,
              f.path.find('/') == std::string::npos ? "" : f.path.substr(0, f.path.find('/')));
    EXPECT_EQ(f.size, static_cast<int64_t>(fs::file_size(path("data/" + f.path)))) << f.path;
  }
  EXPECT_EQ(found, expected);
  ASSERT_EQ(scan.unreadable.size(), messy.unreadable.size());
  for (size_t i = 0; i < scan.unreadable.size(); ++i) {
    EXPECT_EQ(scan.unreadable[i].path, messy.unreadable[i].path);
    EXPECT_TRUE(contains(scan.unreadable[i].reason, messy.unreadable[i].reason))
        << scan.unreadable[i].reason;
  }
  // A trailing slash on the root changes nothing.
  EXPECT_EQ(scan_image_folder(path("data") + "/").files.size(), scan.files.size());
}

TEST_F(ImageFolderTest, MessyFolderDecodes) {
  const auto messy = test_images::write_messy_folder(path("data"));
  const FolderScan scan = scan_image_folder(path("data"));
  const DecodedImages d = decode_image_folder(path("data"), scan, settings(8));
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.resolution, 8);
  EXPECT_EQ(d.classes, messy.classes);
  EXPECT_EQ(d.empty_classes, messy.empty_classes);
  ASSERT_EQ(d.count(), static_cast<int64_t>(messy.good.size()));
  ASSERT_EQ(d.pixels.size(), static_cast<size_t>(d.count() * 3 * 8 * 8));
  for (int64_t i = 0; i < d.count(); ++i) {
    const SourceFile& f = d.sources[static_cast<size_t>(i)];
    EXPECT_EQ(f.path, messy.good[static_cast<size_t>(i)]);
    const int64_t label = d.labels[static_cast<size_t>(i)];
    if (f.folder.empty()) {
      EXPECT_EQ(label, -1) << f.path;
    } else {
      ASSERT_GE(label, 0) << f.path;
      EXPECT_EQ(d.classes[static_cast<size_t>(label)], f.folder);
    }
    const bool gray = contains(f.path, "gray");
    const Colour want = gray ? Colour{test_images::kMessyGray, test_images::kMessyGray,
                                      test_images::kMessyGray}
                             : test_images::kMessyColour;
    const bool jpeg = contains(f.path, ".jp") || contains(f.path, ".JP");
    expect_solid(std::vector<uint8_t>(d.pixels.begin() + i * 192, d.pixels.begin() + (i + 1) * 192),
                 8, 3, want, jpeg ? 4 : 0, f.path);
  }
  // Skipped: the scan's entries first, then the files that failed, each with its reason.
  std::vector<test_images::ExpectedBad> expected = messy.unreadable;
  expected.insert(expected.end(), messy.bad.begin(), messy.bad.end());
  ASSERT_EQ(d.skipped.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(d.skipped[i].path, expected[i].path);
    EXPECT_TRUE(contains(d.skipped[i].reason, expected[i].reason))
        << d.skipped[i].path << ": " << d.skipped[i].reason;
  }
}

TEST_F(ImageFolderTest, UnreadableFileIsSkippedUnlessRoot) {
  test_images::write_file(path("data/a/ok.png"), test_images::png_bytes(solid(2, 2, 3, {9, 9, 9})));
  test_images::write_file(path("data/a/locked.png"),
                          test_images::png_bytes(solid(2, 2, 3, {9, 9, 9})));
  fs::permissions(path("data/a/locked.png"), fs::perms::none);
  // chmod does not stop root, so ask the file system what it does here.
  const bool readable = static_cast<bool>(std::ifstream(path("data/a/locked.png")));
  const DecodedImages d =
      decode_image_folder(path("data"), scan_image_folder(path("data")), settings(4));
  if (readable) {
    EXPECT_EQ(d.count(), 2);
    EXPECT_TRUE(d.skipped.empty());
  } else {
    EXPECT_EQ(d.count(), 1);
    ASSERT_EQ(d.skipped.size(), 1u);
    EXPECT_EQ(d.skipped[0].path, "a/locked.png");
    EXPECT_EQ(d.skipped[0].reason, "permission denied");
  }
}

TEST_F(ImageFolderTest, UnlistableFolderIsUnreadableUnlessRoot) {
  test_images::write_file(path("data/a/ok.png"), test_images::png_bytes(solid(2, 2, 3, {9, 9, 9})));
  test_images::write_file(path("data/b/hidden.png"),
                          test_images::png_bytes(solid(2, 2, 3, {9, 9, 9})));
  fs::permissions(path("data/b"), fs::perms::none);
  std::error_code ec;
  const bool listable = fs::directory_iterator(path("data/b"), ec) != fs::directory_iterator();
  const FolderScan scan = scan_image_folder(path("data"));
  fs::permissions(path("data/b"), fs::perms::owner_all);  // so that TearDown can remove it
  if (listable) {
    EXPECT_EQ(scan.files.size(), 2u);
    EXPECT_TRUE(scan.unreadable.empty());
  } else {
    EXPECT_EQ(scan.files.size(), 1u);
    ASSERT_EQ(scan.unreadable.size(), 1u);
    EXPECT_EQ(scan.unreadable[0].path, "b");
    EXPECT_EQ(scan.unreadable[0].reason, "permission denied");
  }
}

TEST_F(ImageFolderTest, FileGoneSinceTheScanIsSkipped) {
  test_images::write_file(path("data/a.png"), test_images::png_bytes(solid(2, 2, 3, {9, 9, 9})));
  test_images::write_file(path("data/b.png"), test_images::png_bytes(solid(2, 2, 3, {9, 9, 9})));
  const FolderScan scan = scan_image_folder(path("data"));
  fs::remove(path("data/a.png"));
  const DecodedImages d = decode_image_folder(path("data"), scan, settings(4));
  EXPECT_EQ(d.count(), 1);
  ASSERT_EQ(d.skipped.size(), 1u);
  EXPECT_EQ(d.skipped[0].path, "a.png");
  EXPECT_EQ(d.skipped[0].reason, "gone since the scan");
}

TEST_F(ImageFolderTest, BrokenLinkIsUnreadable) {
  fs::create_directories(path("data"));
  fs::create_symlink("nowhere.png", path("data/dangling.png"));
  fs::create_symlink("nowhere", path("data/dangling_readme"));  // not an image name: ignored
  const FolderScan scan = scan_image_folder(path("data"));
  EXPECT_TRUE(scan.files.empty());
  ASSERT_EQ(scan.unreadable.size(), 1u);
  EXPECT_EQ(scan.unreadable[0].path, "dangling.png");
  EXPECT_EQ(scan.unreadable[0].reason, "broken symlink");
}

TEST_F(ImageFolderTest, LabelsFollowSortedFolderNames) {
  const auto png = test_images::png_bytes(solid(2, 2, 3, {9, 9, 9}));
  for (const char* name : {"b/1.png", "a/1.png", "B/1.png", "a/2.png", "top.png",
                           "\xc3\xa9t\xc3\xa9 x/1.png", "b/deep/er/1.png"})
    test_images::write_file(path(std::string("data/") + name), png);
  test_images::write_file(path("data/empty/bad.png"), "");
  test_images::write_file(path("data/nothing/readme.md"), "hi");
  const DecodedImages d =
      decode_image_folder(path("data"), scan_image_folder(path("data")), settings(4));
  EXPECT_EQ(d.classes, (std::vector<std::string>{"B", "a", "b", "\xc3\xa9t\xc3\xa9 x"}));
  EXPECT_EQ(d.empty_classes, std::vector<std::string>{"empty"});
  std::vector<std::string> paths;
  for (const SourceFile& f : d.sources) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"B/1.png", "a/1.png", "a/2.png", "b/1.png",
                                             "b/deep/er/1.png", "top.png",
                                             "\xc3\xa9t\xc3\xa9 x/1.png"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 1, 2, 2, -1, 3}));
}

TEST_F(ImageFolderTest, ChannelsAutoDetectedFromHeaders) {
  auto decode_dir = [&](const std::string& dir, int64_t channels = 0) {
    DecodeSettings s = settings(4);
    s.channels = channels;
    return decode_image_folder(path(dir), scan_image_folder(path(dir)), s);
  };
  const Colour g = {90, 255};
  test_images::write_file(path("gray/a.png"), test_images::png_bytes(solid(3, 3, 1, g)));
  test_images::write_file(path("gray/b.png"), test_images::png_bytes(solid(3, 3, 2, g)));
  test_images::write_file(path("gray/c.pgm"), test_images::pnm_bytes(solid(3, 3, 1, g)));
  test_images::write_file(path("gray/d.png"), test_images::png16_bytes(solid(3, 3, 1, g)));
  test_images::write_file(path("gray/bad.png"), "not a picture");  // counts for neither
  const DecodedImages gray = decode_dir("gray");
  EXPECT_EQ(gray.channels, 1);
  EXPECT_EQ(gray.count(), 4);
  EXPECT_EQ(gray.pixels, std::vector<uint8_t>(4 * 16, 90));
  EXPECT_EQ(decode_dir("gray", 3).channels, 3);

  test_images::write_file(path("mixed/a.png"), test_images::png_bytes(solid(3, 3, 1, g)));
  test_images::write_file(path("mixed/b.ppm"),
                          test_images::pnm_bytes(solid(3, 3, 3, {200, 80, 40})));
  const DecodedImages mixed = decode_dir("mixed");
  EXPECT_EQ(mixed.channels, 3);
  EXPECT_EQ(mixed.pixels[0], 90);
  const DecodedImages to_gray = decode_dir("mixed", 1);
  EXPECT_EQ(to_gray.channels, 1);
  EXPECT_EQ(to_gray.pixels.back(), 111);

  fs::create_directories(path("none"));
  const DecodedImages none = decode_dir("none");
  EXPECT_EQ(none.channels, 3);
  EXPECT_EQ(none.count(), 0);
}

TEST_F(ImageFolderTest, SameResultOnOneOrFourThreads) {
  test_images::write_messy_folder(path("data"));
  // More files than threads, of different sizes, so that workers finish out of order.
  for (int i = 0; i < 40; ++i) {
    Picture p = solid(5 + i * 7, 3 + i * 3, 3, {static_cast<uint8_t>(i * 6), 100, 7, 255});
    test_images::fill(p, 0, 0, 2, 2, {255, 255, 255, 255});
    test_images::write_file(path("data/many/" + std::to_string(i) + ".png"),
                            test_images::png_bytes(p));
  }
  const FolderScan scan = scan_image_folder(path("data"));
  const DecodedImages one = decode_image_folder(path("data"), scan, settings(16), 1);
  const DecodedImages four = decode_image_folder(path("data"), scan, settings(16), 4);
  EXPECT_EQ(one.pixels, four.pixels);
  EXPECT_EQ(one.labels, four.labels);
  EXPECT_EQ(one.classes, four.classes);
  ASSERT_EQ(one.skipped.size(), four.skipped.size());
  for (size_t i = 0; i < one.skipped.size(); ++i) {
    EXPECT_EQ(one.skipped[i].path, four.skipped[i].path);
    EXPECT_EQ(one.skipped[i].reason, four.skipped[i].reason);
  }
}

TEST_F(ImageFolderTest, ProgressComesFromTheCallingThread) {
  for (int i = 0; i < 30; ++i)
    test_images::write_file(path("data/" + std::to_string(i) + ".png"),
                            test_images::png_bytes(solid(50, 50, 3, {1, 2, 3})));
  const FolderScan scan = scan_image_folder(path("data"));
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::pair<int64_t, int64_t>> calls;
  bool same_thread = true;
  decode_image_folder(path("data"), scan, settings(8), 3, [&](int64_t done, int64_t total) {
    same_thread = same_thread && std::this_thread::get_id() == caller;
    calls.emplace_back(done, total);
  });
  EXPECT_TRUE(same_thread);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front(), std::make_pair(int64_t{0}, int64_t{30}));
  EXPECT_EQ(calls.back(), std::make_pair(int64_t{30}, int64_t{30}));
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i].first, calls[i - 1].first);
}

}  // namespace
}  // namespace gantrain
