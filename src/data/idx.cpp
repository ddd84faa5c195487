#include "gantrain/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "gantrain/error.h"

namespace gantrain {
namespace {

constexpr uint8_t kTypeUnsignedByte = 0x08;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

uint32_t read_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

uint32_t read_le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | uint32_t{p[0]};
}

std::string type_name(uint8_t code) {
  switch (code) {
    case 0x09: return "signed bytes";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown type";
  }
}

// expected_ndims = 0 accepts any number of dims.
IdxArray parse(const std::vector<uint8_t>& bytes, const std::string& name, int expected_ndims) {
  const std::string want_magic =
      expected_ndims > 0 ? hex32(0x800u | static_cast<uint32_t>(expected_ndims)) + " (IDX unsigned bytes, " +
                               std::to_string(expected_ndims) + " dims)"
                         : "0x000008NN (IDX unsigned bytes, NN = number of dims)";
  if (bytes.size() < 4)
    throw Error(name + ": truncated header: " + std::to_string(bytes.size()) +
                " bytes, expected at least 4 (magic " + want_magic + ")");
  const uint32_t magic = read_be32(bytes.data());
  const int ndims = bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0 || ndims == 0)
    throw Error(name + ": bad magic " + hex32(magic) + ", expected " + want_magic);
  if (bytes[2] != kTypeUnsignedByte)
    throw Error(name + ": unsupported IDX element type " + hex32(magic) + " (" + type_name(bytes[2]) +
                "), expected " + want_magic);
  if (expected_ndims > 0 && ndims != expected_ndims)
    throw Error(name + ": has " + std::to_string(ndims) + " dims (magic " + hex32(magic) + "), expected " +
                want_magic);

  const size_t header_size = 4 + 4 * static_cast<size_t>(ndims);
  if (bytes.size() < header_size)
    throw Error(name + ": truncated header: " + std::to_string(ndims) + " dims need " +
                std::to_string(header_size) + " header bytes, file has " + std::to_string(bytes.size()));

  IdxArray out;
  // Saturating product: a hostile header must not wrap around to a small, plausible size.
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t count = 1;
  for (int i = 0; i < ndims; ++i) {
    const uint32_t d = read_be32(bytes.data() + 4 + 4 * i);
    out.dims.push_back(d);
    count = d != 0 && count > kMax / d ? kMax : count * d;
  }
  if (std::find(out.dims.begin(), out.dims.end(), 0) != out.dims.end())
    throw Error(name + ": empty array: header dims " + dims_text(out.dims) +
                ", expected every dimension >= 1");
  const uint64_t available = bytes.size() - header_size;
  if (count > available)
    throw Error(name + ": truncated: header says " + dims_text(out.dims) + " = " +
                (count == kMax ? std::string("more than 2^64") : std::to_string(count)) +
                " bytes of data, file has " + std::to_string(available));
  if (count < available)
    throw Error(name + ": trailing data: header says " + dims_text(out.dims) + " = " + std::to_string(count) +
                " bytes of data, file has " + std::to_string(available) + " (" +
                std::to_string(available - count) + " extra bytes)");
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header_size), bytes.end());
  return out;
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  std::array<char, 1 << 16> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0)
    bytes.insert(bytes.end(), buf.data(), buf.data() + in.gcount());
  if (in.bad()) throw Error(path + ": read failed");
  return bytes;
}

struct InflateGuard {
  z_stream* zs;
  ~InflateGuard() { inflateEnd(zs); }
};

// Far above any MNIST-format file (60,000 images are 47 MB); stops a gzip bomb before it
// exhausts memory.
constexpr size_t kMaxInflated = size_t{1} << 31;

// Accepts concatenated gzip members, as gzip(1) does.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& name) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(name + ": cannot start zlib inflate");
  InflateGuard guard{&zs};
  // The trailer's ISIZE (size mod 2^32) is only a hint: capped so a forged one cannot force a huge
  // allocation (deflate expands by at most ~1032x).
  const size_t n_in = in.size();
  size_t hint = n_in >= 4 ? read_le32(in.data() + n_in - 4) : 0;
  hint = std::min({hint, n_in * 1032, kMaxInflated});
  std::vector<uint8_t> out(std::max<size_t>(hint, 1 << 16));
  size_t fed = 0, produced = 0;
  while (true) {
    if (zs.avail_in == 0 && fed < n_in) {
      // avail_in and avail_out are 32 bits: work in slices.
      const size_t n = std::min<size_t>(n_in - fed, 1u << 30);
      zs.next_in = const_cast<Bytef*>(in.data() + fed);
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    if (produced == out.size()) {
      if (out.size() >= kMaxInflated)
        throw Error(name + ": gzip data inflates to more than " + std::to_string(kMaxInflated >> 20) +
                    " MiB, expected an MNIST-format file");
      out.resize(std::min(out.size() * 2, kMaxInflated));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    const int rc = inflate(&zs, Z_NO_FLUSH);
    produced = static_cast<size_t>(zs.next_out - out.data());
    const bool input_done = zs.avail_in == 0 && fed == n_in;
    if (rc == Z_STREAM_END) {
      if (input_done) break;
      inflateReset(&zs);
    } else if (rc == Z_BUF_ERROR && input_done) {
      throw Error(name + ": truncated gzip data: stream ends after " + std::to_string(n_in) +
                  " compressed bytes, before its end marker (incomplete download?)");
    } else if (rc != Z_OK) {
      throw Error(name + ": corrupt gzip data: " + (zs.msg ? zs.msg : zError(rc)));
    }
  }
  out.resize(produced);
  return out;
}

IdxArray decode(const std::vector<uint8_t>& bytes, const std::string& name, int expected_ndims) {
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
    return parse(gunzip(bytes, name), name, expected_ndims);
  return parse(bytes, name, expected_ndims);
}

IdxArray read(const std::string& path, int expected_ndims) {
  return decode(read_bytes(path), path, expected_ndims);
}

std::string find_file(const std::string& dir, const std::string& base) {
  const std::string raw = (std::filesystem::path(dir) / base).string();
  if (std::filesystem::exists(raw)) return raw;
  if (std::filesystem::exists(raw + ".gz")) return raw + ".gz";
  throw Error(raw + "[.gz]: not found (scripts/get_mnist.sh downloads MNIST)");
}

}  // namespace

IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& name) { return decode(bytes, name, 0); }

IdxArray read_idx(const std::string& path) { return read(path, 0); }

MnistSplit load_mnist_split(const std::string& dir, const std::string& split) {
  const std::string images_path = find_file(dir, split + "-images-idx3-ubyte");
  const std::string labels_path = find_file(dir, split + "-labels-idx1-ubyte");
  MnistSplit s{read(images_path, 3), read(labels_path, 1)};
  const int64_t n_images = s.images.dims[0], n_labels = s.labels.dims[0];
  if (n_labels != n_images)
    throw Error(labels_path + ": has " + std::to_string(n_labels) + " labels but " + images_path + " has " +
                std::to_string(n_images) + " images, expected one label per image");
  for (size_t i = 0; i < s.labels.data.size(); ++i)
    if (s.labels.data[i] > 9)
      throw Error(labels_path + ": label " + std::to_string(s.labels.data[i]) + " at index " + std::to_string(i) +
                  " is out of range, expected 0-9");
  return s;
}

}  // namespace gantrain
