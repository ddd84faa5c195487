// Writes a small MNIST-format data set (IDX files) of simple shapes, for end-to-end tests, or
// one with a defect in its train split, for the bad-input tests (tests/bad_inputs/).
//   make_fake_mnist DIR COUNT [gzip] [defect=KIND]
// KIND: truncated (images cut short), bad-magic, count-mismatch (one label fewer than images),
// bad-label (a label of 10), wrong-size (32x32 images), corrupt-gzip (deflate bytes overwritten),
// truncated-gzip (the .gz cut in half). COUNT 0 writes an empty data set.
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

bool write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

std::vector<uint8_t> read_raw(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(uint8_t(c));
    std::fclose(f);
  }
  return bytes;
}

// `damage` edits the compressed bytes (gzip defects); may be empty.
bool write(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip,
           void (*damage)(std::vector<uint8_t>&) = nullptr) {
  if (!gzip) return write_raw(path, bytes);
  gzFile f = gzopen((path + ".gz").c_str(), "wb");
  if (!f) return false;
  bool ok = gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size());
  if (gzclose(f) != Z_OK || !ok) return false;
  if (!damage) return true;
  std::vector<uint8_t> compressed = read_raw(path + ".gz");
  damage(compressed);
  return write_raw(path + ".gz", compressed);
}

void overwrite_middle(std::vector<uint8_t>& gz) {
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 16 && i + 8 < gz.size(); ++i) gz[i] = 0xff;
}

void cut_in_half(std::vector<uint8_t>& gz) { gz.resize(gz.size() / 2); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_fake_mnist DIR COUNT [gzip] [defect=KIND]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint32_t n = uint32_t(std::atoi(argv[2]));
  bool gzip = false;
  std::string defect;
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "gzip") gzip = true;
    else if (arg.rfind("defect=", 0) == 0) defect = arg.substr(7);
    else {
      std::fprintf(stderr, "make_fake_mnist: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  const uint32_t side = defect == "wrong-size" ? 32 : 28;
  std::vector<uint8_t> images = idx_header(3, {n, side, side}), labels = idx_header(1, {n});
  for (uint32_t i = 0; i < n; ++i) {
    // Class k: a bright bar at row 4 + 2k, plus a little per-image jitter.
    uint32_t k = i % 10;
    for (int r = 0; r < int(side); ++r)
      for (int c = 0; c < int(side); ++c) {
        bool bar = r >= int(4 + 2 * k) && r < int(6 + 2 * k) && c >= 4 && c < 24;
        images.push_back(bar ? uint8_t(200 + (i * 7 + c) % 56) : uint8_t((i + r * c) % 16));
      }
    labels.push_back(uint8_t(k));
  }
  // Defects go into the train split only: that is what training reads.
  std::vector<uint8_t> train_images = images, train_labels = labels;
  void (*damage)(std::vector<uint8_t>&) = nullptr;
  if (defect == "truncated") {
    train_images.resize(train_images.size() / 2);
  } else if (defect == "bad-magic") {
    train_images[0] = 0x12;
    train_images[1] = 0x34;
  } else if (defect == "count-mismatch") {
    train_labels = idx_header(1, {n - 1});
    train_labels.insert(train_labels.end(), labels.begin() + 8, labels.end() - 1);
  } else if (defect == "bad-label") {
    train_labels.back() = 10;
  } else if (defect == "corrupt-gzip") {
    gzip = true;
    damage = overwrite_middle;
  } else if (defect == "truncated-gzip") {
    gzip = true;
    damage = cut_in_half;
  } else if (!defect.empty() && defect != "wrong-size") {
    std::fprintf(stderr, "make_fake_mnist: unknown defect %s\n", defect.c_str());
    return 2;
  }
  const std::string train = dir + "/train", test = dir + "/t10k";
  if (!write(train + "-images-idx3-ubyte", train_images, gzip, damage) ||
      !write(train + "-labels-idx1-ubyte", train_labels, gzip) ||
      !write(test + "-images-idx3-ubyte", images, gzip) ||
      !write(test + "-labels-idx1-ubyte", labels, gzip)) {
    std::fprintf(stderr, "make_fake_mnist: cannot write into %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
