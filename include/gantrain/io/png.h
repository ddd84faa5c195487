#pragma once
/// Sample grids as PNG files: tile generator output into one image and write it crash-safely.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gantrain {

/// An 8-bit image, row-major, `channels` interleaved (1 = gray, 3 = RGB).
struct Image {
  int64_t width = 0, height = 0, channels = 1;
  std::vector<uint8_t> pixels;
};

/// Tiles n images given as floats in [-1, 1], layout [n, channels, h, w] (torch's NCHW, contiguous), `nrow` tiles per row, `pad` pixels of black (0) padding between tiles and around the border; values map v -> round((v + 1) / 2 * 255) clamped to [0, 255].
Image make_grid(const float* images, int64_t n, int64_t channels, int64_t h, int64_t w, int64_t nrow,
                int64_t pad = 2);

/// What a PNG's header (its IHDR chunk, first in every PNG) says.
struct PngHeader {
  int64_t width = 0, height = 0;
  int color_type = 0;  ///< 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA
};

/// The header of PNG file bytes; nullopt if they do not start like a PNG with a nonzero size.
std::optional<PngHeader> read_png_header(const std::string& bytes);

/// `image` with every pixel repeated `scale` x `scale` times (nearest neighbour), scale >= 1.
Image upscale(const Image& image, int64_t scale);

/// `image` as PNG file bytes; throws gantrain::Error on a malformed image.
std::string encode_png(const Image& image);

/// Encodes `image` as PNG and writes it atomically to `path`; throws gantrain::Error naming the path on failure.
void write_png(const std::string& path, const Image& image);

}  // namespace gantrain
