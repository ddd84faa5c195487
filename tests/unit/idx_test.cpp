#include "gantrain/data/idx.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "gantrain/error.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// Runs `fn`, expects a gantrain::Error whose one-line message contains every part.
template <typename Fn>
void expect_error_contains(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    return;
  }
  ADD_FAILURE() << "no gantrain::Error thrown";
}
#define EXPECT_ERROR(statement, ...)                                    \
  do {                                                                  \
    SCOPED_TRACE(#statement);                                           \
    expect_error_contains([&] { statement; }, {__VA_ARGS__});           \
  } while (0)

Bytes idx_bytes(const std::vector<uint32_t>& dims, const Bytes& data, uint8_t type = 0x08) {
  Bytes b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes iota_bytes(size_t n, uint8_t mod = 251) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i % mod);
  return b;
}

Bytes gzip(const Bytes& raw) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 32);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class IdxTest : public testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("gantrain_idx_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const Bytes& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  // A valid split of n 2x3 images with labels i % 10.
  void write_split(const std::string& split, uint32_t n, bool gz) {
    Bytes labels(n);
    for (uint32_t i = 0; i < n; ++i) labels[i] = static_cast<uint8_t>(i % 10);
    Bytes img = idx_bytes({n, 2, 3}, iota_bytes(n * 6)), lab = idx_bytes({n}, labels);
    write(split + "-images-idx3-ubyte" + (gz ? ".gz" : ""), gz ? gzip(img) : img);
    write(split + "-labels-idx1-ubyte" + (gz ? ".gz" : ""), gz ? gzip(lab) : lab);
  }

  fs::path dir_;
};

TEST_F(IdxTest, ReadsRawFile) {
  const std::string path = write("a.idx", idx_bytes({2, 3, 4}, iota_bytes(24)));
  IdxArray a = read_idx(path);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(a.data, iota_bytes(24));
}

TEST_F(IdxTest, GzipGivesSameContentAndIsDetectedByMagic) {
  const Bytes raw = idx_bytes({5, 7}, iota_bytes(35));
  IdxArray a = read_idx(write("a.idx", raw));
  IdxArray b = read_idx(write("b.idx.gz", gzip(raw)));
  IdxArray c = read_idx(write("c.idx", gzip(raw)));  // gzip without the .gz name
  EXPECT_EQ(b.dims, a.dims);
  EXPECT_EQ(b.data, a.data);
  EXPECT_EQ(c.data, a.data);
}

TEST_F(IdxTest, ReadsConcatenatedGzipMembers) {
  // The small last member's size hint undershoots, so the output buffer has to grow.
  const Bytes raw = idx_bytes({300000}, iota_bytes(300000));
  Bytes gz = gzip(Bytes(raw.begin(), raw.end() - 40));
  const Bytes tail = gzip(Bytes(raw.end() - 40, raw.end()));
  gz.insert(gz.end(), tail.begin(), tail.end());
  EXPECT_EQ(read_idx(write("x.gz", gz)).data, iota_bytes(300000));
}

TEST_F(IdxTest, ParseIdxPrefixesErrorsWithName) {
  EXPECT_ERROR(parse_idx(Bytes{0, 0}, "mem:buf"), "mem:buf: truncated header");
  EXPECT_EQ(parse_idx(idx_bytes({3}, {7, 8, 9}), "x").data, (Bytes{7, 8, 9}));
}

TEST_F(IdxTest, TruncatedData) {
  Bytes b = idx_bytes({2, 3, 4}, iota_bytes(24));
  b.resize(b.size() - 4);
  const std::string path = write("t.idx", b);
  EXPECT_ERROR(read_idx(path), path + ": truncated: header says 2x3x4 = 24 bytes of data, file has 20");
}

TEST_F(IdxTest, TruncatedHeader) {
  Bytes b = idx_bytes({2, 3, 4}, {});
  b.resize(10);
  const std::string path = write("h.idx", b);
  EXPECT_ERROR(read_idx(path), path + ": truncated header", "need 16", "has 10");
  EXPECT_ERROR(read_idx(write("e.idx", {})), "e.idx: truncated header");
}

TEST_F(IdxTest, BadMagic) {
  const std::string path = write("m.idx", {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0});
  EXPECT_ERROR(read_idx(path), path + ": bad magic 0x12345678, expected 0x000008");
}

TEST_F(IdxTest, UnsupportedElementType) {
  const std::string path = write("f.idx", idx_bytes({1}, {0, 0, 0, 0}, 0x0D));
  EXPECT_ERROR(read_idx(path), path + ": unsupported IDX element type 0x00000d01 (float32)");
}

TEST_F(IdxTest, TrailingBytes) {
  const std::string path = write("x.idx", idx_bytes({2, 2}, iota_bytes(7)));
  EXPECT_ERROR(read_idx(path), path + ": trailing data", "2x2 = 4 bytes", "3 extra bytes");
}

TEST_F(IdxTest, ZeroDimension) {
  const std::string path = write("z.idx", idx_bytes({3, 0, 2}, {}));
  EXPECT_ERROR(read_idx(path), path + ": empty array: header dims 3x0x2");
}

TEST_F(IdxTest, AbsurdHeaderFailsWithoutAllocating) {
  const std::string path = write("big.idx", idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, iota_bytes(5)));
  EXPECT_ERROR(read_idx(path), path + ": truncated", "more than 2^64 bytes of data, file has 5");
  const std::string path2 = write("big2.idx", idx_bytes({60000, 28, 28}, iota_bytes(1234)));
  EXPECT_ERROR(read_idx(path2), "60000x28x28 = 47040000 bytes of data, file has 1234");
}

TEST_F(IdxTest, CorruptGzip) {
  Bytes gz = gzip(idx_bytes({50, 20}, iota_bytes(1000, 7)));
  for (size_t i = gz.size() / 2 - 2; i < gz.size() / 2 + 2; ++i) gz[i] ^= 0x5A;
  const std::string path = write("c.gz", gz);
  EXPECT_ERROR(read_idx(path), path + ": corrupt gzip data: ");
}

TEST_F(IdxTest, TruncatedGzip) {
  Bytes gz = gzip(idx_bytes({50, 20}, iota_bytes(1000)));
  gz.resize(gz.size() / 2);
  const std::string path = write("t.gz", gz);
  EXPECT_ERROR(read_idx(path), path + ": truncated gzip data");
}

TEST_F(IdxTest, MissingFile) {
  EXPECT_ERROR(read_idx((dir_ / "nope.idx").string()), "nope.idx: cannot open");
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"),
               (dir_ / "train-images-idx3-ubyte").string() + "[.gz]: not found");
  write("train-images-idx3-ubyte", idx_bytes({1, 2, 3}, iota_bytes(6)));
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"),
               (dir_ / "train-labels-idx1-ubyte").string() + "[.gz]: not found");
}

TEST_F(IdxTest, LoadsGzipSplit) {
  write_split("t10k", 12, /*gz=*/true);
  MnistSplit s = load_mnist_split(dir_.string(), "t10k");
  EXPECT_EQ(s.images.dims, (std::vector<int64_t>{12, 2, 3}));
  EXPECT_EQ(s.images.data, iota_bytes(72));
  EXPECT_EQ(s.labels.dims, (std::vector<int64_t>{12}));
  EXPECT_EQ(s.labels.data[11], 1);
}

TEST_F(IdxTest, PrefersRawOverGzip) {
  write_split("train", 4, /*gz=*/false);
  write("train-images-idx3-ubyte.gz", gzip(idx_bytes({9, 2, 3}, iota_bytes(54))));
  write("train-labels-idx1-ubyte.gz", Bytes{1, 2, 3});  // would fail if read
  EXPECT_EQ(load_mnist_split(dir_.string(), "train").images.dims[0], 4);
}

TEST_F(IdxTest, SplitWithWrongDims) {
  write_split("train", 3, false);
  const std::string images = write("train-images-idx3-ubyte", idx_bytes({3, 6}, iota_bytes(18)));
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"), images + ": has 2 dims",
               "expected 0x00000803 (IDX unsigned bytes, 3 dims)");
  write_split("train", 3, false);
  const std::string labels = write("train-labels-idx1-ubyte", {9, 9, 9, 9});
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"), labels + ": bad magic 0x09090909",
               "expected 0x00000801 (IDX unsigned bytes, 1 dims)");
}

TEST_F(IdxTest, LabelCountMismatch) {
  write_split("train", 5, false);
  const std::string labels = write("train-labels-idx1-ubyte", idx_bytes({4}, {0, 1, 2, 3}));
  const std::string images = (dir_ / "train-images-idx3-ubyte").string();
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"), labels + ": has 4 labels but " + images + " has 5 images");
}

TEST_F(IdxTest, ZeroImages) {
  write("train-images-idx3-ubyte", idx_bytes({0, 28, 28}, {}));
  write("train-labels-idx1-ubyte", idx_bytes({0}, {}));
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"), "train-images-idx3-ubyte: empty array: header dims 0x28x28");
}

TEST_F(IdxTest, LabelOutOfRange) {
  write_split("train", 3, false);
  const std::string labels = write("train-labels-idx1-ubyte", idx_bytes({3}, {0, 10, 2}));
  EXPECT_ERROR(load_mnist_split(dir_.string(), "train"), labels + ": label 10 at index 1 is out of range, expected 0-9");
}

}  // namespace
}  // namespace gantrain
