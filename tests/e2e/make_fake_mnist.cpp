// Writes a small MNIST-format data set (IDX files) of simple shapes, for end-to-end tests.
//   make_fake_mnist DIR COUNT [gzip]
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<uint8_t> idx_header(uint8_t ndims, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, ndims};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(uint8_t(d >> shift));
  return bytes;
}

bool write(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen((path + ".gz").c_str(), "wb");
    if (!f) return false;
    bool ok = gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size());
    return gzclose(f) == Z_OK && ok;
  }
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_fake_mnist DIR COUNT [gzip]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint32_t n = uint32_t(std::atoi(argv[2]));
  const bool gzip = argc > 3;
  std::vector<uint8_t> images = idx_header(3, {n, 28, 28}), labels = idx_header(1, {n});
  for (uint32_t i = 0; i < n; ++i) {
    // Class k: a bright bar at row 4 + 2k, plus a little per-image jitter.
    uint32_t k = i % 10;
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) {
        bool bar = r >= int(4 + 2 * k) && r < int(6 + 2 * k) && c >= 4 && c < 24;
        images.push_back(bar ? uint8_t(200 + (i * 7 + c) % 56) : uint8_t((i + r * c) % 16));
      }
    labels.push_back(uint8_t(k));
  }
  for (const char* split : {"train", "t10k"}) {
    std::string base = dir + "/" + split;
    if (!write(base + "-images-idx3-ubyte", images, gzip) ||
        !write(base + "-labels-idx1-ubyte", labels, gzip)) {
      std::fprintf(stderr, "make_fake_mnist: cannot write into %s\n", dir.c_str());
      return 1;
    }
  }
  return 0;
}
