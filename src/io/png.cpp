#include "gantrain/io/png.h"

// Debian's libstb ships the compiled implementation (-lstb), so no STB_IMAGE_WRITE_IMPLEMENTATION.
#include <stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"

namespace gantrain {
namespace {

uint8_t to_byte(float v) {
  const float x = (v + 1.0f) / 2.0f * 255.0f;
  if (!(x > 0.0f)) return 0;  // also maps NaN to black
  return static_cast<uint8_t>(std::lround(std::min(x, 255.0f)));
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

}  // namespace

Image make_grid(const float* images, int64_t n, int64_t channels, int64_t h, int64_t w, int64_t nrow,
                int64_t pad) {
  if (images == nullptr) throw Error("make_grid: images is null");
  if (n < 1 || nrow < 1 || h < 1 || w < 1 || pad < 0 || (channels != 1 && channels != 3))
    throw Error("make_grid: bad arguments n=" + std::to_string(n) + " channels=" + std::to_string(channels) +
                " h=" + std::to_string(h) + " w=" + std::to_string(w) + " nrow=" + std::to_string(nrow) +
                " pad=" + std::to_string(pad) + ", expected n, nrow, h, w >= 1, pad >= 0, channels 1 or 3");
  const int64_t cols = std::min(nrow, n), rows = (n + nrow - 1) / nrow;
  Image grid;
  grid.width = cols * w + (cols + 1) * pad;
  grid.height = rows * h + (rows + 1) * pad;
  grid.channels = channels;
  grid.pixels.assign(static_cast<size_t>(grid.width * grid.height * channels), 0);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t x0 = pad + (k % nrow) * (w + pad), y0 = pad + (k / nrow) * (h + pad);
    for (int64_t c = 0; c < channels; ++c) {
      const float* plane = images + (k * channels + c) * h * w;
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          grid.pixels[static_cast<size_t>(((y0 + y) * grid.width + x0 + x) * channels + c)] =
              to_byte(plane[y * w + x]);
    }
  }
  return grid;
}

std::optional<PngHeader> read_png_header(const std::string& bytes) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 26 || bytes.compare(0, 8, kSignature, 8) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0)
    return std::nullopt;
  auto be32 = [&](size_t at) {
    int64_t v = 0;
    for (size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<uint8_t>(bytes[at + k]);
    return v;
  };
  PngHeader header{be32(16), be32(20), static_cast<uint8_t>(bytes[25])};
  if (header.width == 0 || header.height == 0) return std::nullopt;
  return header;
}

Image upscale(const Image& image, int64_t scale) {
  if (scale < 1) throw Error("upscale: scale = " + std::to_string(scale) + ", expected >= 1");
  if (scale == 1) return image;
  Image out;
  out.width = image.width * scale;
  out.height = image.height * scale;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * out.channels));
  const auto c = static_cast<size_t>(image.channels);
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x)
      std::copy_n(&image.pixels[static_cast<size_t>((y / scale) * image.width + x / scale) * c], c,
                  &out.pixels[static_cast<size_t>(y * out.width + x) * c]);
  return out;
}

std::string encode_png(const Image& image) {
  const int64_t c = image.channels;
  if (image.width < 1 || image.height < 1 || c < 1 || c > 4 || image.width > INT_MAX / c ||
      image.height > INT_MAX ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height * c))
    throw Error("cannot encode PNG: bad image " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + "x" + std::to_string(c) + " with " +
                std::to_string(image.pixels.size()) + " bytes, expected width*height*channels bytes, channels 1-4");
  std::string png;
  const int w = static_cast<int>(image.width), h = static_cast<int>(image.height), comp = static_cast<int>(c);
  if (stbi_write_png_to_func(append_bytes, &png, w, h, comp, image.pixels.data(), w * comp) == 0)
    throw Error("PNG encoding failed");
  return png;
}

void write_png(const std::string& path, const Image& image) {
  std::string png;
  try {
    png = encode_png(image);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  write_file_atomic(path, png);
}

}  // namespace gantrain
