#include "gantrain/io/event_file.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/png.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

// Castagnoli polynomial, bit-reversed (RFC 3720 B.4); the table is the usual byte-at-a-time one.
constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

constexpr char kFileVersion[] = "brain.Event:2";
constexpr size_t kHeaderSize = 12;  // uint64 length + uint32 masked CRC of it

// ---- Little-endian fixed-width integers (TFRecord framing and protobuf fixed32/64) ----

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

std::string frame_record(const std::string& data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, masked_crc32c(out.data(), 8), 4);
  out += data;
  put_le(out, masked_crc32c(data.data(), data.size()), 4);
  return out;
}

// ---- Protocol buffer encoding (https://protobuf.dev/programming-guides/encoding/) ----

enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, Wire wire) { put_varint(out, (field << 3) | wire); }

void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
  put_key(out, field, kLen);
  put_varint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

void put_int(std::string& out, uint32_t field, int64_t v) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(v));  // negative int64/int32: ten bytes, as protobuf does
}

// An Event {wall_time = 1, step = 2, <what> = field} with `payload` as that field.
std::string make_event(int64_t step, uint32_t field, std::string_view payload) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  uint64_t bits = 0;
  std::memcpy(&bits, &now, sizeof bits);
  std::string event;
  put_key(event, 1, kFixed64);
  put_le(event, bits, 8);
  put_int(event, 2, step);
  put_bytes(event, field, payload);
  return event;
}

// Event.summary (5) holding one Summary.Value (Summary.value = 1).
std::string summary_event(int64_t step, const std::string& value) {
  std::string summary;
  put_bytes(summary, 1, value);
  return make_event(step, 5, summary);
}

// ---- Protocol buffer decoding of the subset above; other fields are skipped ----

class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return pos_ >= bytes_.size(); }

  // The next field's key: field number << 3 | wire type.
  uint64_t key() { return varint(); }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) throw Error("truncated varint");
      const auto b = static_cast<unsigned char>(bytes_[pos_++]);
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80u)) return v;
    }
    throw Error("varint longer than 10 bytes");
  }

  uint64_t fixed(int bytes) {
    need(static_cast<size_t>(bytes));
    const uint64_t v = get_le(bytes_.data() + pos_, bytes);
    pos_ += static_cast<size_t>(bytes);
    return v;
  }

  std::string_view bytes() {
    const uint64_t size = varint();
    need(size);
    const std::string_view v = bytes_.substr(pos_, static_cast<size_t>(size));
    pos_ += static_cast<size_t>(size);
    return v;
  }

  void skip(uint64_t key) {
    switch (key & 7) {
      case kVarint: varint(); break;
      case kFixed64: fixed(8); break;
      case kLen: bytes(); break;
      case kFixed32: fixed(4); break;
      default: throw Error("unsupported wire type " + std::to_string(key & 7));
    }
  }

 private:
  void need(uint64_t size) const {
    if (size > bytes_.size() - pos_) throw Error("field runs past the end of its message");
  }
  std::string_view bytes_;
  size_t pos_ = 0;
};

constexpr uint64_t key_of(uint32_t field, Wire wire) { return (uint64_t{field} << 3) | wire; }

// SummaryMetadata.plugin_data (1) .plugin_name (1).
std::string parse_plugin_name(std::string_view metadata) {
  std::string name;
  for (ProtoReader r(metadata); !r.done();) {
    const uint64_t key = r.key();
    if (key != key_of(1, kLen)) {
      r.skip(key);
      continue;
    }
    for (ProtoReader p(r.bytes()); !p.done();) {
      const uint64_t k = p.key();
      if (k == key_of(1, kLen))
        name = std::string(p.bytes());
      else
        p.skip(k);
    }
  }
  return name;
}

void parse_image(std::string_view bytes, EventValue& value) {
  for (ProtoReader r(bytes); !r.done();) {
    switch (const uint64_t key = r.key()) {
      case key_of(1, kVarint): value.image_height = static_cast<int64_t>(r.varint()); break;
      case key_of(2, kVarint): value.image_width = static_cast<int64_t>(r.varint()); break;
      case key_of(4, kLen): value.image_png = std::string(r.bytes()); break;
      default: r.skip(key);
    }
  }
}

// TensorProto: the first string_val (8) is the text.
void parse_tensor(std::string_view bytes, EventValue& value) {
  for (ProtoReader r(bytes); !r.done();) {
    const uint64_t key = r.key();
    if (key == key_of(8, kLen) && !value.text)
      value.text = std::string(r.bytes());
    else
      r.skip(key);
  }
}

EventValue parse_value(std::string_view bytes) {
  EventValue value;
  for (ProtoReader r(bytes); !r.done();) {
    switch (const uint64_t key = r.key()) {
      case key_of(1, kLen): value.tag = std::string(r.bytes()); break;
      case key_of(2, kFixed32): {
        const auto bits = static_cast<uint32_t>(r.fixed(4));
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        value.scalar = f;
        break;
      }
      case key_of(4, kLen): parse_image(r.bytes(), value); break;
      case key_of(8, kLen): parse_tensor(r.bytes(), value); break;
      case key_of(9, kLen): value.plugin = parse_plugin_name(r.bytes()); break;
      default: r.skip(key);
    }
  }
  return value;
}

Event parse_event(std::string_view bytes) {
  Event event;
  event.record = std::string(bytes);
  for (ProtoReader r(bytes); !r.done();) {
    switch (const uint64_t key = r.key()) {
      case key_of(1, kFixed64): {
        const uint64_t bits = r.fixed(8);
        std::memcpy(&event.wall_time, &bits, sizeof bits);
        break;
      }
      case key_of(2, kVarint): event.step = static_cast<int64_t>(r.varint()); break;
      case key_of(3, kLen): event.file_version = std::string(r.bytes()); break;
      case key_of(5, kLen):
        for (ProtoReader s(r.bytes()); !s.done();) {
          const uint64_t k = s.key();
          if (k == key_of(1, kLen))
            event.values.push_back(parse_value(s.bytes()));
          else
            s.skip(k);
        }
        break;
      case key_of(7, kLen):  // SessionLog {status = 1}, START = 1
        for (ProtoReader s(r.bytes()); !s.done();) {
          const uint64_t k = s.key();
          if (k == key_of(1, kVarint))
            event.session_start = s.varint() == 1;
          else
            s.skip(k);
        }
        break;
      default: r.skip(key);
    }
  }
  return event;
}

// Summary.Image.colorspace from the PNG IHDR colour type: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
int64_t png_colorspace(int color_type) {
  switch (color_type) {
    case 0: return 1;
    case 4: return 2;
    case 6: return 4;
    default: return 3;  // 2 truecolour, 3 palette
  }
}

// Drops the events after `resume_step` from one event file, replacing it atomically.
void trim_event_file(const std::string& path, int64_t resume_step) {
  try {
    const std::vector<Event> events = read_event_file(path);
    std::string kept;
    size_t dropped = 0;
    for (const Event& e : events) {
      if (e.step > resume_step)
        ++dropped;
      else
        kept += frame_record(e.record);  // the old file-version event (step 0) stays first
    }
    if (dropped == 0) return;
    write_file_atomic(path, kept);
    spdlog::info("{}: dropped {} TensorBoard event(s) after step {}", path, dropped, resume_step);
  } catch (const Error& e) {
    spdlog::warn("{} (TensorBoard file left as is)", e.what());
  }
}

}  // namespace

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::vector<Event> read_event_file(const std::string& path) {
  const std::string data = read_file(path);

  std::vector<Event> events;
  size_t pos = 0;
  while (data.size() - pos >= kHeaderSize) {
    const std::string where = path + ": record at offset " + std::to_string(pos) + ": ";
    const char* header = data.data() + pos;
    if (masked_crc32c(header, 8) != static_cast<uint32_t>(get_le(header + 8, 4)))
      throw Error(where + "length checksum mismatch, expected a TFRecord event file");
    const uint64_t size = get_le(header, 8);
    const size_t left = data.size() - pos - kHeaderSize;
    if (size > left || left - size < 4) break;  // torn by a killed writer: what is whole stays
    const char* body = header + kHeaderSize;
    const auto n = static_cast<size_t>(size);
    if (masked_crc32c(body, n) != static_cast<uint32_t>(get_le(body + n, 4)))
      throw Error(where + "data checksum mismatch (corrupt event file)");
    try {
      events.push_back(parse_event(std::string_view(body, n)));
    } catch (const Error& e) {
      throw Error(where + "cannot parse Event: " + e.what());
    }
    pos += kHeaderSize + n + 4;
  }
  return events;
}

EventFileWriter::EventFileWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) {
    failed_ = true;
    spdlog::warn("{}: TensorBoard output stopped: {} (training goes on)", path_, std::strerror(errno));
    return;
  }
  write_record(make_event(0, 3, kFileVersion));
}

EventFileWriter::~EventFileWriter() {
  if (file_ == nullptr) return;
  flush();
  std::fclose(file_);  // a failure here was already reported by flush
}

void EventFileWriter::scalar(int64_t step, const std::string& tag, float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  std::string v;
  put_bytes(v, 1, tag);
  put_key(v, 2, kFixed32);
  put_le(v, bits, 4);
  write_record(summary_event(step, v));
}

void EventFileWriter::image(int64_t step, const std::string& tag, const std::string& png) {
  const std::optional<PngHeader> header = read_png_header(png);
  if (!header) {
    spdlog::warn("{}: image '{}' at step {} is not a PNG; not written", path_, tag, step);
    return;
  }
  std::string image;
  put_int(image, 1, header->height);
  put_int(image, 2, header->width);
  put_int(image, 3, png_colorspace(header->color_type));
  put_bytes(image, 4, png);
  std::string v;
  put_bytes(v, 1, tag);
  put_bytes(v, 4, image);
  write_record(summary_event(step, v));
}

void EventFileWriter::text(int64_t step, const std::string& tag, const std::string& markdown) {
  // What tf.summary.text writes: a scalar DT_STRING tensor tagged for the "text" plugin.
  std::string tensor;
  put_int(tensor, 1, 7);    // dtype = DT_STRING
  put_bytes(tensor, 2, "");  // tensor_shape: no dimensions, a scalar
  put_bytes(tensor, 8, markdown);
  std::string plugin_data;
  put_bytes(plugin_data, 1, "text");
  std::string metadata;
  put_bytes(metadata, 1, plugin_data);
  std::string v;
  put_bytes(v, 1, tag);
  put_bytes(v, 8, tensor);
  put_bytes(v, 9, metadata);
  write_record(summary_event(step, v));
}

void EventFileWriter::session_start(int64_t step) {
  std::string session_log;
  put_int(session_log, 1, 1);  // status = START
  write_record(make_event(step, 7, session_log));
}

void EventFileWriter::raw_record(const std::string& event_bytes) { write_record(event_bytes); }

void EventFileWriter::flush() {
  if (!ok()) return;
  // A full disk often shows only here, when the buffer goes out.
  if (std::fflush(file_) != 0) {
    failed_ = true;
    spdlog::warn("{}: TensorBoard output stopped: {} (training goes on)", path_, std::strerror(errno));
  }
}

void EventFileWriter::write_record(const std::string& event_bytes) {
  if (!ok()) return;
  const std::string record = frame_record(event_bytes);
  errno = 0;
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    failed_ = true;
    spdlog::warn("{}: TensorBoard output stopped: {} (training goes on)", path_,
                 errno != 0 ? std::strerror(errno) : "short write");
  }
}

void trim_event_files(const std::string& directory, int64_t step) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;  // one odd entry must not end the scan
    if (name.rfind("events.out.tfevents.", 0) == 0 && it->is_regular_file(type_ec))
      files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    if (step > 0) {
      trim_event_file(file, step);
    } else if (fs::remove(file, ec)) {
      spdlog::info("{}: removed (an earlier start of this run, before any checkpoint)", file);
    }
  }
}

}  // namespace gantrain
