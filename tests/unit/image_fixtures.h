#pragma once
// Pictures for the image-folder tests, made at test time (torch-free): every format the images
// task reads, in any size and channel layout, and one messy folder holding every case at once.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gantrain::test_images {

/// An 8-bit picture: `height` rows of `width` pixels of `channels` interleaved samples
/// (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA).
struct Picture {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
};

/// Samples of one pixel; only the first `channels` are used.
using Colour = std::array<uint8_t, 4>;

/// width x height filled with `colour`.
Picture solid(int width, int height, int channels, Colour colour);
/// Paints the rectangle [x0, x1) x [y0, y1) of `picture` with `colour`.
void fill(Picture& picture, int x0, int y0, int x1, int y1, Colour colour);

/// 8-bit PNG, 1 to 4 channels (stb_image_write).
std::string png_bytes(const Picture& picture);
/// 16-bit PNG, 1 to 4 channels; each sample v is stored as v * 257, so reducing to 8 bits gives v.
std::string png16_bytes(const Picture& picture);
/// Palette PNG (colour type 3) of the picture's distinct colours (at most 256), with a tRNS
/// chunk when it has 4 channels; 3 or 4 channels.
std::string palette_png_bytes(const Picture& picture);
/// A PNG whose header claims width x height, with no pixel data after it.
std::string png_header_only(uint32_t width, uint32_t height);
/// Baseline JPEG (stb_image_write: always YCbCr, so a 1-channel picture reads back as 3).
std::string jpeg_bytes(const Picture& picture, int quality = 95);
/// The committed progressive JPEG (tests/fixtures/images/progressive.jpg): kProgressiveWidth x
/// kProgressiveHeight of kProgressiveColour.
std::string progressive_jpeg_bytes();
constexpr int kProgressiveWidth = 40;
constexpr int kProgressiveHeight = 24;
constexpr Colour kProgressiveColour = {200, 80, 40, 255};
/// BMP, 1 to 4 channels (stb_image_write: 24 bits, or 32 with alpha).
std::string bmp_bytes(const Picture& picture);
/// TGA, 1 to 4 channels (stb_image_write, run-length encoded).
std::string tga_bytes(const Picture& picture);
/// Binary PGM (1 channel) or PPM (3 channels).
std::string pnm_bytes(const Picture& picture);
/// GIF of `frames` (RGB, 3 channels; the first one's size is the screen's), with a palette of
/// their distinct colours (at most 256).
std::string gif_bytes(const std::vector<Picture>& frames);

/// Writes `bytes` to `path`, creating its parent folders; throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& bytes);

/// A file the messy folder holds that the reader must skip, and a word its reason contains.
struct ExpectedBad {
  std::string path;    ///< relative to the folder
  std::string reason;  ///< substring of BadFile::reason
};

/// What write_messy_folder put there; paths relative to the folder, '/'-separated, sorted.
struct MessyFolder {
  std::vector<std::string> good;           ///< image files that decode
  std::vector<ExpectedBad> bad;            ///< image files that fail to decode
  std::vector<ExpectedBad> unreadable;     ///< entries the scan itself cannot use (symlink loops)
  std::vector<std::string> ignored;        ///< files without an image extension
  std::vector<std::string> classes;        ///< first-level folders with a good picture, byte order
  std::vector<std::string> empty_classes;  ///< first-level folders whose pictures are all bad
  bool locked_readable = false;  ///< chmod 000 did not stop reads (root): cats/locked.png is good
};

/// Fills `dir` (created if missing) with every case the reader handles: each format and channel
/// layout, sizes from 1x1 to 60x30, upper-case extensions, names with spaces and non-ASCII
/// letters, nested folders, a top-level picture, ignored files, empty / truncated / misnamed /
/// 50000x50000-header files, an unreadable file, symlink loops, a folder of only bad pictures
/// and one without pictures. Every good picture is one solid colour, kMessyColour, except the
/// gray ones (kMessyGray).
MessyFolder write_messy_folder(const std::string& dir);
constexpr Colour kMessyColour = {200, 80, 40, 255};
constexpr uint8_t kMessyGray = 90;

}  // namespace gantrain::test_images
