#include "gantrain/data/image_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <stb_image.h>
#include <stb_image_resize.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "gantrain/error.h"

// Debian's libstb ships the compiled implementations of stb_image and stb_image_resize (-lstb),
// so this file defines no STB_*_IMPLEMENTATION.

namespace gantrain {
namespace {

std::string join(const std::string& root, const std::string& rel) {
  if (rel.empty()) return root;
  if (!root.empty() && root.back() == '/') return root + rel;
  return root + "/" + rel;
}

std::string errno_reason(int err) {
  switch (err) {
    case EACCES:
    case EPERM: return "permission denied";
    case ELOOP: return "symlink loop";
    default: return std::strerror(err);
  }
}

// ---- scanning ---------------------------------------------------------------------------------

class Scanner {
 public:
  explicit Scanner(std::string root) : root_(std::move(root)) {}

  FolderScan run(const struct stat& root_stat) {
    ancestors_.push_back({root_stat.st_dev, root_stat.st_ino});
    walk("");
    std::sort(out_.files.begin(), out_.files.end(),
              [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
    std::sort(out_.unreadable.begin(), out_.unreadable.end(),
              [](const BadFile& a, const BadFile& b) { return a.path < b.path; });
    return std::move(out_);
  }

 private:
  void walk(const std::string& rel) {
    DIR* dir = ::opendir(join(root_, rel).c_str());
    if (!dir) {
      out_.unreadable.push_back({rel.empty() ? "." : rel, errno_reason(errno)});
      return;
    }
    // Names first, then recursion, so that only one DIR is open per level at a time.
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(dir);
      if (!entry) {
        if (errno) out_.unreadable.push_back({rel.empty() ? "." : rel, errno_reason(errno)});
        break;
      }
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    for (const std::string& name : names) visit(rel.empty() ? name : rel + "/" + name);
  }

  void visit(const std::string& rel) {
    const std::string full = join(root_, rel);
    const bool image_name = is_image_file_name(rel);
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0) {
      const int err = errno;
      // Other names that fail (a dangling link called README) are none of our business; a link
      // loop is reported whatever its name, since it may have been meant as a folder.
      if (err == ELOOP) {
        out_.unreadable.push_back({rel, "symlink loop"});
      } else if (image_name) {
        struct stat link {};
        const bool dangling = err == ENOENT && ::lstat(full.c_str(), &link) == 0;
        out_.unreadable.push_back(
            {rel, dangling ? "broken symlink" : err == ENOENT ? "gone during the scan"
                                                              : errno_reason(err)});
      }
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      // A folder that is one of its own ancestors (through a symlink) would recurse forever.
      const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
      if (std::find(ancestors_.begin(), ancestors_.end(), id) != ancestors_.end()) {
        out_.unreadable.push_back({rel, "symlink loop (leads back to a folder above it)"});
        return;
      }
      ancestors_.push_back(id);
      walk(rel);
      ancestors_.pop_back();
      return;
    }
    if (!image_name) return;
    if (!S_ISREG(st.st_mode)) {
      // Reading a FIFO named x.png would block forever.
      out_.unreadable.push_back({rel, "not a regular file"});
      return;
    }
    SourceFile file;
    file.path = rel;
    file.size = static_cast<int64_t>(st.st_size);
    file.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    const size_t slash = rel.find('/');
    if (slash != std::string::npos) file.folder = rel.substr(0, slash);
    out_.files.push_back(std::move(file));
  }

  std::string root_;
  FolderScan out_;
  std::vector<std::pair<dev_t, ino_t>> ancestors_;
};

// ---- decoding ---------------------------------------------------------------------------------

// The format named by the file's first bytes (stb_image decides by content, not by name).
std::string format_of(const uint8_t* p, size_t n) {
  if (n >= 8 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return "PNG";
  if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) return "JPEG";
  if (n >= 4 && std::memcmp(p, "GIF8", 4) == 0) return "GIF";
  if (n >= 2 && p[0] == 'B' && p[1] == 'M') return "BMP";
  if (n >= 2 && p[0] == 'P' && (p[1] == '5' || p[1] == '6')) return "PNM";
  return "";
}

uint32_t be16(const uint8_t* p) { return uint32_t{p[0]} << 8 | p[1]; }
uint32_t le16(const uint8_t* p) { return uint32_t{p[1]} << 8 | p[0]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }

// Width and height from the header, for the formats whose stbi_info refuses a picture too large
// for stb_image's own limits (about 2^30 bytes): it gives no size then, and the message should
// still say what was wrong. Only used to explain a failure.
std::optional<std::pair<int64_t, int64_t>> header_size(const std::string& format,
                                                       const uint8_t* p, size_t n) {
  if (format == "PNG" && n >= 24 && std::memcmp(p + 12, "IHDR", 4) == 0)
    return std::make_pair(int64_t{be32(p + 16)}, int64_t{be32(p + 20)});
  if (format == "GIF" && n >= 10) return std::make_pair(int64_t{le16(p + 6)}, int64_t{le16(p + 8)});
  if (format == "JPEG") {
    size_t i = 2;
    while (i + 4 <= n) {
      if (p[i] != 0xff) return std::nullopt;
      const uint8_t marker = p[i + 1];
      if (marker == 0xff) { ++i; continue; }  // fill byte
      const bool sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 &&
                       marker != 0xcc;
      if (sof && i + 9 <= n)
        return std::make_pair(int64_t{be16(p + i + 7)}, int64_t{be16(p + i + 5)});
      i += 2 + be16(p + i + 2);
    }
  }
  if (format == "PNM") {
    int64_t dims[2] = {0, 0};
    size_t i = 2;
    for (int64_t& d : dims) {
      for (;;) {  // whitespace and # comments
        while (i < n && std::isspace(p[i])) ++i;
        if (i < n && p[i] == '#') { while (i < n && p[i] != '\n') ++i; continue; }
        break;
      }
      if (i >= n || !std::isdigit(p[i])) return std::nullopt;
      while (i < n && std::isdigit(p[i]) && d < (int64_t{1} << 40)) d = d * 10 + (p[i++] - '0');
    }
    return std::make_pair(dims[0], dims[1]);
  }
  return std::nullopt;
}

std::string over_max_pixels(int64_t w, int64_t h, int64_t max_pixels) {
  return std::to_string(w) + "x" + std::to_string(h) + " is over data.max_pixels = " +
         std::to_string(max_pixels);
}

// stb_image's own word for the last failure on this thread (its reason is thread-local).
std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason && *reason ? std::string(" (") + reason + ")" : "";
}

struct StbiFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

// Resizes an interleaved w x h picture (rows `in_stride` bytes apart) to out_w x out_h. The
// samples are resized as they are stored (stb's "linear" colour space, no sRGB decoding): that
// is what Pillow and torchvision do, which prepared the data sets and FID statistics people
// compare against, and it treats a gray picture and its RGB copy alike.
bool resize(const uint8_t* in, int w, int h, int in_stride, uint8_t* out, int out_w, int out_h,
            int out_stride, int channels) {
  if (w == out_w && h == out_h) {
    // stb's filter at scale 1 would still blur (Mitchell), so copy.
    for (int y = 0; y < h; ++y)
      std::memcpy(out + static_cast<size_t>(y) * out_stride,
                  in + static_cast<size_t>(y) * in_stride, static_cast<size_t>(w) * channels);
    return true;
  }
  return stbir_resize_uint8_generic(in, w, h, in_stride, out, out_w, out_h, out_stride, channels,
                                    STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP,
                                    STBIR_FILTER_DEFAULT, STBIR_COLORSPACE_LINEAR, nullptr) != 0;
}

// Decodes one file's bytes into `out` ([channels, res, res]); returns "" or why it failed.
// "truncated or corrupt PNG" (or "picture" when the format is unknown).
std::string corrupt_reason(const std::string& format) {
  return "truncated or corrupt " + (format.empty() ? std::string("picture") : format);
}

// Why the picture in `data` cannot be decoded under `settings`, from its header alone (nothing
// is allocated for its pixels); empty when it can.
std::string header_problem(const uint8_t* data, size_t size, const DecodeSettings& settings) {
  if (size == 0) return "empty file";
  if (size > static_cast<size_t>(INT_MAX)) return "file over 2 GiB";
  const std::string format = format_of(data, size);
  int w = 0, h = 0, comp = 0;
  if (!stbi_info_from_memory(data, static_cast<int>(size), &w, &h, &comp)) {
    const auto dims = header_size(format, data, size);
    // Divided rather than multiplied: header sizes of up to 2^32 x 2^32 would overflow.
    if (dims && dims->first > 0 && dims->second > settings.max_pixels / dims->first)
      return over_max_pixels(dims->first, dims->second, settings.max_pixels);
    if (format.empty()) return "not a PNG, JPEG, GIF, BMP, TGA or PNM picture";
    return corrupt_reason(format) + stb_reason();
  }
  // stb_image accepts a PNM cut after its magic number as 0x0.
  if (w < 1 || h < 1)
    return corrupt_reason(format) + " (" + std::to_string(w) + "x" + std::to_string(h) + ")";
  if (int64_t{w} * h > settings.max_pixels) return over_max_pixels(w, h, settings.max_pixels);
  return "";
}

// `pixels` samples of `src_channels` each -> `channels` (1 or 3) interleaved, alpha composited
// on black, gray expanded or colour reduced to luma.
std::vector<uint8_t> to_channels(const uint8_t* s, size_t pixels, int src_channels, int channels) {
  std::vector<uint8_t> flat(pixels * channels);
  const bool gray_src = src_channels <= 2;
  const bool has_alpha = src_channels == 2 || src_channels == 4;
  for (size_t i = 0; i < pixels; ++i, s += src_channels) {
    const uint32_t a = has_alpha ? s[src_channels - 1] : 255;
    auto over_black = [a](uint32_t v) { return (v * a + 127) / 255; };
    uint32_t r = over_black(s[0]);
    uint32_t g = gray_src ? r : over_black(s[1]);
    uint32_t b = gray_src ? r : over_black(s[2]);
    if (channels == 1) {
      // ITU-R BT.601 luma, as Pillow's convert("L"), rounded.
      flat[i] = static_cast<uint8_t>(gray_src ? r : (299 * r + 587 * g + 114 * b + 500) / 1000);
    } else {
      flat[i * 3] = static_cast<uint8_t>(r);
      flat[i * 3 + 1] = static_cast<uint8_t>(g);
      flat[i * 3 + 2] = static_cast<uint8_t>(b);
    }
  }
  return flat;
}

// A w x h interleaved picture -> `out`, planar [channels, res, res], as `fit` says; false when
// resizing runs out of memory.
bool fit_square(const std::vector<uint8_t>& flat, int w, int h, int channels, FitMode fit,
                int res, uint8_t* out) {
  const int row = w * channels;
  const int res_row = res * channels;
  std::vector<uint8_t> square(static_cast<size_t>(res) * res_row, 0);
  bool ok = true;
  switch (fit) {
    case FitMode::kCrop: {
      const int side = std::min(w, h);
      const uint8_t* corner = flat.data() + static_cast<size_t>((h - side) / 2) * row +
                              static_cast<size_t>((w - side) / 2) * channels;
      ok = resize(corner, side, side, row, square.data(), res, res, res_row, channels);
      break;
    }
    case FitMode::kPad: {
      // The long side fills the square; the short side keeps the aspect ratio (at least 1 pixel).
      const int64_t long_side = std::max(w, h);
      auto scaled = [&](int64_t v) {
        return static_cast<int>(std::max<int64_t>(1, (v * res * 2 + long_side) / (2 * long_side)));
      };
      const int out_w = scaled(w), out_h = scaled(h);
      uint8_t* corner = square.data() + static_cast<size_t>((res - out_h) / 2) * res_row +
                        static_cast<size_t>((res - out_w) / 2) * channels;
      ok = resize(flat.data(), w, h, row, corner, out_w, out_h, res_row, channels);
      break;
    }
    case FitMode::kStretch:
      ok = resize(flat.data(), w, h, row, square.data(), res, res, res_row, channels);
      break;
  }
  if (!ok) return false;
  // Interleaved [res, res, channels] -> planar [channels, res, res].
  const size_t plane = static_cast<size_t>(res) * res;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < channels; ++c) out[c * plane + i] = square[i * channels + c];
  return true;
}

std::string decode_into(const uint8_t* data, size_t size, const DecodeSettings& settings,
                        int channels, uint8_t* out) {
  if (std::string problem = header_problem(data, size, settings); !problem.empty())
    return problem;
  int w = 0, h = 0, src_channels = 0;
  // 16-bit samples come back reduced to 8 bits.
  const std::unique_ptr<stbi_uc, StbiFree> src(
      stbi_load_from_memory(data, static_cast<int>(size), &w, &h, &src_channels, 0));
  const std::string corrupt = corrupt_reason(format_of(data, size));
  if (!src) return corrupt + stb_reason();
  if (w < 1 || h < 1) return corrupt + " (" + std::to_string(w) + "x" + std::to_string(h) + ")";
  const std::vector<uint8_t> flat =
      to_channels(src.get(), static_cast<size_t>(w) * h, src_channels, channels);
  if (!fit_square(flat, w, h, channels, settings.fit, static_cast<int>(settings.resolution), out))
    return "out of memory while resizing";
  return "";
}

// The whole file, or why it could not be read.
std::string read_file(const std::string& path, std::string& bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return errno == ENOENT ? "gone since the scan" : errno_reason(errno);
  struct stat st {};
  std::string reason;
  if (::fstat(fd, &st) != 0) {
    reason = errno_reason(errno);
  } else if (!S_ISREG(st.st_mode)) {
    reason = "not a regular file";
  } else {
    bytes.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    for (;;) {
      if (got == bytes.size()) bytes.resize(bytes.size() + 65536);  // the file grew
      const ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) { reason = errno_reason(errno); break; }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    bytes.resize(got);
  }
  ::close(fd);
  return reason;
}

// Runs work(i) for i in [0, n) on `threads` workers pulling indices from a shared counter, while
// the calling thread reports progress about every 100 ms and once at the end. `work` must not
// throw.
template <class Work>
void parallel_for(int64_t n, int threads, const Work& work, const DecodeProgress& progress) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;
  auto worker = [&] {
    for (int64_t i; (i = next.fetch_add(1)) < n;) {
      work(i);
      if (done.fetch_add(1) + 1 == n) {
        std::lock_guard<std::mutex> lock(mutex);
        finished.notify_all();
      }
    }
  };
  std::vector<std::thread> pool;
  const int64_t count = std::max<int64_t>(1, std::min<int64_t>(threads, n));
  try {
    for (int64_t t = 0; t < count; ++t) pool.emplace_back(worker);
  } catch (const std::system_error& e) {
    // Under a process limit: go on with the threads that started, or stop cleanly.
    if (pool.empty()) throw Error(std::string("cannot start image decoding threads: ") + e.what());
  }
  try {
    std::unique_lock<std::mutex> lock(mutex);
    while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return done == n; }))
      if (progress) progress(done.load(), n);
  } catch (...) {
    // A progress callback that throws (an interrupt) stops the workers after their current file.
    next = n;
    for (std::thread& t : pool) t.join();
    throw;
  }
  for (std::thread& t : pool) t.join();
  if (progress) progress(n, n);
}

// 1 when every picture whose header can be read is gray (1 or 2 components), else 3. From the
// headers alone (stbi_info reads only those), so that nothing is decoded twice; a file whose
// header fails counts for neither, and its decode says why.
int64_t detect_channels(const std::string& root, const std::vector<SourceFile>& files,
                        const DecodeSettings& settings, int threads) {
  std::vector<int> comps(files.size(), 0);
  parallel_for(
      static_cast<int64_t>(files.size()), threads,
      [&](int64_t i) {
        // O_NONBLOCK and the type check: a FIFO swapped in since the scan must not hang us.
        const int fd = ::open(join(root, files[i].path).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) return;
        struct stat st {};
        FILE* f = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? ::fdopen(fd, "rb") : nullptr;
        if (!f) {
          ::close(fd);
          return;
        }
        int w = 0, h = 0, comp = 0;
        if (stbi_info_from_file(f, &w, &h, &comp) && int64_t{w} * h <= settings.max_pixels)
          comps[i] = comp;
        std::fclose(f);
      },
      nullptr);
  const bool any = std::any_of(comps.begin(), comps.end(), [](int c) { return c > 0; });
  const bool all_gray =
      std::all_of(comps.begin(), comps.end(), [](int c) { return c == 0 || c <= 2; });
  return any && all_gray ? 1 : 3;
}

// Fills `result`'s sources, skipped list, classes and labels from the scan and each file's
// decode failure (empty: decoded), moving the kept images' pixels down over the gaps.
void keep_readable(const FolderScan& scan, const std::vector<std::string>& reasons,
                   size_t image_size, DecodedImages& result) {
  const auto& files = scan.files;
  result.skipped = scan.unreadable;
  std::map<std::string, bool> folders;  // first-level folder -> has a readable image
  size_t kept = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const bool good = reasons[i].empty();
    if (!files[i].folder.empty()) folders[files[i].folder] = folders[files[i].folder] || good;
    if (!good) {
      result.skipped.push_back({files[i].path, reasons[i]});
      continue;
    }
    if (kept != i)
      std::memmove(result.pixels.data() + image_size * kept, result.pixels.data() + image_size * i,
                   image_size);
    result.sources.push_back(files[i]);
    ++kept;
  }
  result.pixels.resize(image_size * kept);
  std::map<std::string, int64_t> label_of;
  for (const auto& [folder, readable] : folders) {
    if (!readable) {
      result.empty_classes.push_back(folder);
      continue;
    }
    label_of[folder] = static_cast<int64_t>(result.classes.size());
    result.classes.push_back(folder);
  }
  for (const SourceFile& f : result.sources)
    result.labels.push_back(f.folder.empty() ? -1 : label_of.at(f.folder));
}

}  // namespace

bool is_image_file_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return false;
  std::string ext = path.substr(dot + 1);
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char* const kExtensions[] = {"png", "jpg", "jpeg", "bmp", "gif",
                                            "tga", "pnm", "pgm", "ppm"};
  return std::any_of(std::begin(kExtensions), std::end(kExtensions),
                     [&](const char* e) { return ext == e; });
}

FolderScan scan_image_folder(const std::string& root) {
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0)
    throw Error("image folder '" + root + "': " +
                (errno == ENOENT ? std::string("does not exist") : errno_reason(errno)));
  if (!S_ISDIR(st.st_mode)) throw Error("image folder '" + root + "' is not a directory");
  return Scanner(root).run(st);
}

std::vector<uint8_t> decode_picture(const std::string& bytes, const DecodeSettings& settings,
                                    int64_t channels) {
  if (channels != 1 && channels != 3)
    throw Error("decode_picture: channels must be 1 or 3, not " + std::to_string(channels));
  std::vector<uint8_t> out(
      static_cast<size_t>(channels * settings.resolution * settings.resolution));
  const std::string reason = decode_into(reinterpret_cast<const uint8_t*>(bytes.data()),
                                         bytes.size(), settings, static_cast<int>(channels),
                                         out.data());
  if (!reason.empty()) throw Error(reason);
  return out;
}

DecodedImages decode_image_folder(const std::string& root, const FolderScan& scan,
                                  const DecodeSettings& settings, int threads,
                                  const DecodeProgress& progress) {
  if (settings.resolution < 1 || settings.resolution > 65536)
    throw Error("image resolution must be in [1, 65536], not " +
                std::to_string(settings.resolution));
  if (settings.channels != 0 && settings.channels != 1 && settings.channels != 3)
    throw Error("image channels must be 0, 1 or 3, not " + std::to_string(settings.channels));
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto& files = scan.files;
  const int64_t n = static_cast<int64_t>(files.size());
  if (progress) progress(0, n);

  DecodedImages result;
  result.resolution = settings.resolution;
  result.channels = settings.channels;
  if (result.channels == 0) result.channels = detect_channels(root, files, settings, threads);

  const size_t image_size =
      static_cast<size_t>(result.channels * settings.resolution * settings.resolution);
  result.pixels.resize(image_size * files.size());
  std::vector<std::string> reasons(files.size());
  parallel_for(
      n, threads,
      [&](int64_t i) {
        try {
          std::string bytes;
          reasons[i] = read_file(join(root, files[i].path), bytes);
          if (reasons[i].empty())
            reasons[i] = decode_into(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                     settings, static_cast<int>(result.channels),
                                     result.pixels.data() + image_size * i);
        } catch (const std::bad_alloc&) {
          reasons[i] = "out of memory";
        } catch (const std::exception& e) {
          reasons[i] = e.what();
        }
      },
      progress);

  keep_readable(scan, reasons, image_size, result);
  return result;
}

}  // namespace gantrain
