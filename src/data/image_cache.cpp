// The decoded cache of an image folder. One file: a magic line, a text header (settings, the
// scan it was decoded from, labels, classes, skipped files), then the pixels at a page-aligned
// offset, so that loading is one mmap and a header parse however large the set is.
#include "gantrain/data/image_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "gantrain image cache 1\n";
constexpr int64_t kPixelAlignment = 4096;

uint64_t fnv1a(const std::string& text, uint64_t hash = 1469598103934665603ULL) {
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

std::string hex16(uint64_t value) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(value));
  return out;
}

// Paths and reasons go on tab-separated lines: escape what would break them.
std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
  }
  return out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, '\t');) out.push_back(field);
  return out;
}

// What a cache must have been decoded from to be reused: the folder's files as they are now
// (name, size, modification time), the ones the scan could not read, and the settings but the
// channel count (the caller may ask for the count that "automatic" resolved to).
std::string scan_text(const DecodeSettings& s, const FolderScan& scan) {
  std::string text = "settings\t" + std::to_string(s.resolution) + "\t" + choice_name(s.fit) +
                     "\t" + std::to_string(s.max_pixels) + "\n";
  for (const auto& f : scan.files)
    text += "file\t" + std::to_string(f.size) + "\t" + std::to_string(f.mtime_ns) + "\t" +
            escape(f.path) + "\n";
  for (const auto& b : scan.unreadable) text += "unreadable\t" + escape(b.path) + "\n";
  return text;
}

struct Header {
  std::string scan;            // scan_text() lines
  int64_t asked_channels = 0;  // settings.channels when it was decoded (0 = automatic)
  int64_t channels = 0, resolution = 0, count = 0;
  std::vector<int64_t> labels;
  std::vector<std::string> classes, empty_classes;
  std::vector<BadFile> skipped;
};

std::string header_text(const Header& h, const std::vector<SourceFile>& sources) {
  std::string text = h.scan;
  text += "channels\t" + std::to_string(h.asked_channels) + "\t" + std::to_string(h.channels) +
          "\n";
  text += "images\t" + std::to_string(h.count) + "\t" + std::to_string(h.resolution) + "\n";
  for (const auto& c : h.classes) text += "class\t" + escape(c) + "\n";
  for (const auto& c : h.empty_classes) text += "empty_class\t" + escape(c) + "\n";
  for (int64_t i = 0; i < h.count; ++i)
    text += "image\t" + std::to_string(h.labels[i]) + "\t" + escape(sources[i].path) + "\n";
  for (const auto& b : h.skipped)
    text += "skipped\t" + escape(b.path) + "\t" + escape(b.reason) + "\n";
  return text;
}

Header parse_header(const std::string& text, const std::string& file) {
  Header h;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::vector<std::string> f = split_tabs(line);
    if (f.empty()) continue;
    const std::string& kind = f[0];
    try {
      if (kind == "settings" || kind == "file" || kind == "unreadable") h.scan += line + "\n";
      else if (kind == "channels" && f.size() == 3) {
        h.asked_channels = std::stoll(f[1]);
        h.channels = std::stoll(f[2]);
      } else if (kind == "images" && f.size() == 3) {
        h.count = std::stoll(f[1]);
        h.resolution = std::stoll(f[2]);
      } else if (kind == "class" && f.size() == 2) h.classes.push_back(unescape(f[1]));
      else if (kind == "empty_class" && f.size() == 2) h.empty_classes.push_back(unescape(f[1]));
      else if (kind == "image" && f.size() == 3) h.labels.push_back(std::stoll(f[1]));
      else if (kind == "skipped" && f.size() == 3) h.skipped.push_back({unescape(f[1]), unescape(f[2])});
      else throw std::invalid_argument(kind);
    } catch (const std::exception&) {
      throw Error(file + ": damaged image cache (line '" + line.substr(0, 60) + "')");
    }
  }
  const bool labels_fit = static_cast<int64_t>(h.labels.size()) == h.count &&
                          std::all_of(h.labels.begin(), h.labels.end(), [&](int64_t l) {
                            return l >= -1 && l < static_cast<int64_t>(h.classes.size());
                          });
  if ((h.channels != 1 && h.channels != 3) || h.resolution < 1 || h.count < 1 || !labels_fit)
    throw Error(file + ": damaged image cache (inconsistent header)");
  return h;
}

int64_t pixel_offset(int64_t header_end) {
  return (header_end + kPixelAlignment - 1) / kPixelAlignment * kPixelAlignment;
}

// The header and the pixels of a mapped cache file.
struct Mapped {
  Header header;
  std::string fingerprint;  // of the header's text: the sources, settings, labels and skips
  const uint8_t* pixels = nullptr;
  std::shared_ptr<const void> mapping;
};

// Maps `file` into `out`; false when there is none, or one of another version, or a damaged
// one (each is decoded anew). Throws Error only when mmap fails.
bool map_cache(const std::string& file, Mapped& out) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof kMagic + 8)) {
    ::close(fd);
    return false;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping stays valid
  if (base == MAP_FAILED) throw Error(file + ": cannot map the image cache: " + std::strerror(errno));
  std::shared_ptr<const void> mapping(base, [size](const void* p) {
    ::munmap(const_cast<void*>(p), size);
  });
  const char* bytes = static_cast<const char*>(base);
  const size_t magic = sizeof kMagic - 1;
  if (std::memcmp(bytes, kMagic, magic) != 0) return false;  // another version: rebuilt
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes + magic, 8);
  if (header_size > size - magic - 8) return false;  // damaged: decoded anew
  const int64_t header_end = static_cast<int64_t>(magic + 8 + header_size);
  try {
    const std::string text(bytes + magic + 8, header_size);
    out.header = parse_header(text, file);
    out.fingerprint = hex16(fnv1a(text));
  } catch (const Error&) {
    return false;
  }
  const Header& h = out.header;
  const int64_t offset = pixel_offset(header_end);
  // Bounded before multiplying, so a damaged header cannot overflow.
  const int64_t image_bytes = h.channels * h.resolution * h.resolution;
  const int64_t pixel_bytes = static_cast<int64_t>(size) - offset;
  if (h.resolution > 65536 || pixel_bytes < 0 || pixel_bytes % image_bytes != 0 ||
      pixel_bytes / image_bytes != h.count)
    return false;
  out.pixels = reinterpret_cast<const uint8_t*>(bytes + offset);
  out.mapping = std::move(mapping);
  return true;
}

void write_cache(const std::string& file, const std::string& header,
                 const std::vector<uint8_t>& pixels) {
  write_file_atomic(file, [&](std::ostream& out) {
    const size_t magic = sizeof kMagic - 1;
    const uint64_t header_size = header.size();
    out.write(kMagic, static_cast<std::streamsize>(magic));
    out.write(reinterpret_cast<const char*>(&header_size), 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    const int64_t end = static_cast<int64_t>(magic + 8 + header.size());
    out.write(std::string(static_cast<size_t>(pixel_offset(end) - end), '\0').data(),
              pixel_offset(end) - end);
    out.write(reinterpret_cast<const char*>(pixels.data()),
              static_cast<std::streamsize>(pixels.size()));
  });
}

// Memory the machine has free now, from /proc/meminfo; 0 when unknown.
int64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    int64_t kib = 0;
    in >> kib;
    if (key == "MemAvailable:") return kib * 1024;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

std::string gib(double bytes) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return out;
}

// Holds an exclusive lock on a file beside the cache for as long as it lives.
class CacheLock {
 public:
  explicit CacheLock(const std::string& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw Error(path + ": cannot create the image cache's lock: " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd_);
      throw Error(path + ": cannot lock the image cache: " + std::strerror(error));
    }
  }
  ~CacheLock() { ::close(fd_); }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_;
};

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

ImageCache from_mapped(const std::string& file, Mapped mapped, int64_t files_found) {
  ImageCache c;
  c.file = file;
  const Header& h = mapped.header;
  c.files_found = files_found;
  c.channels = h.channels;
  c.resolution = h.resolution;
  c.count = h.count;
  c.labels = h.labels;
  c.classes = h.classes;
  c.empty_classes = h.empty_classes;
  c.skipped = h.skipped;
  c.fingerprint = mapped.fingerprint;
  c.pixels = mapped.pixels;
  c.mapping = std::move(mapped.mapping);
  return c;
}

}  // namespace

ImageCache open_image_cache(const std::string& root, const DecodeSettings& settings,
                            const std::string& cache_dir, OnBadFile on_bad_file,
                            const DecodeProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  FolderScan scan = scan_image_folder(root);
  const int64_t found = static_cast<int64_t>(scan.files.size() + scan.unreadable.size());
  if (scan.files.empty())
    throw Error(root + ": no image files (expected png, jpg, jpeg, bmp, gif, tga, pgm, ppm or "
                "pnm files, in this folder or its sub-folders)");
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) throw Error(cache_dir + ": cannot create the image cache folder: " + ec.message());
  // One file per folder and resolution: a changed file or setting replaces it.
  const std::string absolute = fs::weakly_canonical(fs::absolute(root)).string();
  const std::string key =
      hex16(fnv1a(absolute + "\n" + std::to_string(settings.resolution) + "\n" +
                  choice_name(settings.fit)));
  const std::string file = (fs::path(cache_dir) / ("images-" + key + ".cache")).string();
  CacheLock lock(file + ".lock");

  const std::string wanted_scan = scan_text(settings, scan);
  Mapped mapped;
  if (map_cache(file, mapped) && mapped.header.scan == wanted_scan &&
      (settings.channels == mapped.header.asked_channels ||
       settings.channels == mapped.header.channels)) {
    ImageCache cache = from_mapped(file, std::move(mapped), found);
    cache.seconds = seconds();
    if (on_bad_file == OnBadFile::kError && !cache.skipped.empty())
      throw Error(root + "/" + cache.skipped.front().path + ": " + cache.skipped.front().reason +
                  " (data.on_bad_file = error; skip lists bad files and goes on)");
    return cache;
  }
  mapped = {};

  // Pixels are decoded into memory before they are written: refuse a set that would not fit.
  const double need = static_cast<double>(scan.files.size()) * 3.0 *
                      static_cast<double>(settings.resolution * settings.resolution);
  const int64_t free_bytes = available_memory();
  if (free_bytes > 0 && need > 0.8 * static_cast<double>(free_bytes))
    throw Error(root + ": " + with_commas(static_cast<int64_t>(scan.files.size())) +
                " images at " + std::to_string(settings.resolution) + "x" +
                std::to_string(settings.resolution) + " need up to " + gib(need) +
                " to decode, more than the " + gib(0.8 * free_bytes) +
                " of memory to spare (lower data.resolution, or data.channels = 1)");
  DecodedImages decoded = decode_image_folder(root, scan, settings, 0, progress);
  if (on_bad_file == OnBadFile::kError && !decoded.skipped.empty())
    throw Error(root + "/" + decoded.skipped.front().path + ": " + decoded.skipped.front().reason +
                " (data.on_bad_file = error; skip lists bad files and goes on)");
  if (decoded.count() == 0)
    throw Error(root + ": none of its " + with_commas(found) + " image files could be read (first: " +
                decoded.skipped.front().path + ": " + decoded.skipped.front().reason + ")");
  Header h;
  h.scan = wanted_scan;
  h.asked_channels = settings.channels;
  h.channels = decoded.channels;
  h.resolution = decoded.resolution;
  h.count = decoded.count();
  h.labels = decoded.labels;
  h.classes = decoded.classes;
  h.empty_classes = decoded.empty_classes;
  h.skipped = decoded.skipped;
  write_cache(file, header_text(h, decoded.sources), decoded.pixels);
  decoded.pixels = {};
  if (!map_cache(file, mapped)) throw Error(file + ": the image cache just written cannot be read");
  ImageCache cache = from_mapped(file, std::move(mapped), found);
  cache.rebuilt = true;
  cache.seconds = seconds();
  return cache;
}

std::string skipped_summary(const ImageCache& cache) {
  if (cache.skipped.empty()) return "";
  std::string first;
  for (size_t i = 0; i < std::min<size_t>(2, cache.skipped.size()); ++i)
    first += (i ? "; " : "") + cache.skipped[i].path + ": " + cache.skipped[i].reason;
  return "skipped " + with_commas(static_cast<int64_t>(cache.skipped.size())) + " of " +
         with_commas(cache.files_found) + " image files that could not be read (first: " + first +
         (cache.skipped.size() > 2 ? "; ..." : "") + ")";
}

}  // namespace gantrain
