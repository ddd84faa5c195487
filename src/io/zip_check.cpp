// Zip layout: PKWARE APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central directory),
// 4.3.14-16 (zip64 and classic end of central directory), 4.5.3 (zip64 extra field).
#include "gantrain/io/zip_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>

#include "gantrain/error.h"

namespace gantrain {
namespace {

class Reader {
 public:
  Reader(const std::string& bytes, const std::string& name) : bytes_(bytes), name_(name) {}
  // Little-endian unsigned integer of `width` bytes at `at`; throws when it is out of bounds.
  uint64_t le(uint64_t at, int width) const {
    if (at > bytes_.size() || static_cast<uint64_t>(width) > bytes_.size() - at)
      fail("truncated or corrupt zip structure");
    uint64_t v = 0;
    for (int i = width - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(bytes_[at + i]);
    return v;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(name_ + ": not a readable checkpoint (" + what + ")");
  }
  uint64_t size() const { return bytes_.size(); }
  const std::string& bytes() const { return bytes_; }

 private:
  const std::string& bytes_;
  const std::string& name_;
};

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64End = 0x06064b50,
                   kZip64Locator = 0x07064b50, kDirectoryEntry = 0x02014b50,
                   kLocalHeader = 0x04034b50;

// Offset of the classic end-of-central-directory record: searched backwards, past a comment.
uint64_t find_end_record(const Reader& r) {
  if (r.size() < 22) r.fail("too short for a zip archive");
  const uint64_t lowest = r.size() > 22 + 0xffff ? r.size() - 22 - 0xffff : 0;
  for (uint64_t at = r.size() - 22;; --at) {
    if (r.le(at, 4) == kEndOfDirectory) return at;
    if (at == lowest) r.fail("no end of central directory: truncated?");
  }
}

uLong crc_of_stored(const Bytef* data, uint64_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (uint64_t done = 0; done < size;) {  // crc32() takes 32-bit lengths
    const uint64_t n = std::min<uint64_t>(size - done, 1u << 30);
    crc = crc32(crc, data + done, static_cast<uInt>(n));
    done += n;
  }
  return crc;
}

// CRC-32 of what a raw deflate stream inflates to, in fixed-size pieces (memory stays small
// whatever the stream claims).
uLong crc_of_deflated(const Bytef* data, uint64_t size, const Reader& r, const std::string& record) {
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) r.fail("cannot start zlib inflate");
  struct End {
    z_stream* zs;
    ~End() { inflateEnd(zs); }
  } end{&zs};
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(std::min<uint64_t>(size, 1u << 30));
  if (size > (1u << 30)) r.fail(record + " is too large a deflated record");
  uLong crc = crc32(0L, Z_NULL, 0);
  Bytef piece[1 << 15];
  for (int rc = Z_OK; rc != Z_STREAM_END;) {
    zs.next_out = piece;
    zs.avail_out = sizeof piece;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) r.fail("corrupt deflate data in " + record);
    crc = crc32(crc, piece, static_cast<uInt>(sizeof piece - zs.avail_out));
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) r.fail(record + " is cut short");
  }
  return crc;
}

}  // namespace

void verify_zip_checksums(const std::string& bytes, const std::string& name) {
  const Reader r(bytes, name);
  const uint64_t end = find_end_record(r);
  uint64_t entries = r.le(end + 10, 2), directory = r.le(end + 16, 4);
  if (end >= 20 && r.le(end - 20, 4) == kZip64Locator) {
    const uint64_t end64 = r.le(end - 20 + 8, 8);
    if (r.le(end64, 4) != kZip64End) r.fail("bad zip64 end of central directory");
    entries = r.le(end64 + 32, 8);
    directory = r.le(end64 + 48, 8);
  }
  if (entries == 0) r.fail("empty zip archive");
  uint64_t at = directory;
  for (uint64_t i = 0; i < entries; ++i) {
    if (r.le(at, 4) != kDirectoryEntry) r.fail("bad central directory entry");
    const uint64_t method = r.le(at + 10, 2), crc = r.le(at + 16, 4);
    uint64_t size = r.le(at + 20, 4), local = r.le(at + 42, 4);
    const uint64_t name_length = r.le(at + 28, 2), extra_length = r.le(at + 30, 2);
    std::string record = bytes.substr(at + 46, name_length);
    for (char& c : record)  // the name goes into a one-line message
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    // zip64: the fields that overflowed 32 bits follow in this order in extra field 0x0001.
    const uint64_t uncompressed = r.le(at + 24, 4);
    for (uint64_t e = at + 46 + name_length; e + 4 <= at + 46 + name_length + extra_length;) {
      const uint64_t id = r.le(e, 2), length = r.le(e + 2, 2);
      if (id == 0x0001) {
        uint64_t field = e + 4;
        if (uncompressed == 0xffffffff) field += 8;
        if (size == 0xffffffff) size = r.le(field, 8), field += 8;
        if (local == 0xffffffff) local = r.le(field, 8);
      }
      e += 4 + length;
    }
    if (r.le(local, 4) != kLocalHeader) r.fail("bad local header of " + record);
    const uint64_t data = local + 30 + r.le(local + 26, 2) + r.le(local + 28, 2);
    if (data > r.size() || size > r.size() - data) r.fail(record + " is cut short: truncated?");
    const auto* begin = reinterpret_cast<const Bytef*>(bytes.data() + data);
    uLong actual = 0;
    if (method == 0) {
      actual = crc_of_stored(begin, size);
    } else if (method == 8) {  // LibTorch deflates the code records
      actual = crc_of_deflated(begin, size, r, record);
    } else {
      r.fail(record + " uses zip method " + std::to_string(method) + ", expected stored or deflate");
    }
    if (actual != crc) r.fail("checksum mismatch in " + record + ": the file is corrupt");
    at += 46 + name_length + extra_length + r.le(at + 32, 2);
  }
}

}  // namespace gantrain
