#include "image_fixtures.h"

#include <fcntl.h>
#include <stb_image_write.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace gantrain::test_images {
namespace {

namespace fs = std::filesystem;

void append_to_string(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("image fixture: ") + what);
}

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(v >> shift & 0xff);
}

void put_le16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8 & 0xff);
}

void png_chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put_be32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                            static_cast<uInt>(body.size()))));
}

// A PNG of the given header fields around `rows` (each already prefixed with its filter byte).
std::string png_file(uint32_t width, uint32_t height, int depth, int colour_type,
                     const std::string& rows, const std::string& plte = "",
                     const std::string& trns = "") {
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr += {static_cast<char>(depth), static_cast<char>(colour_type), 0, 0, 0};
  png_chunk(out, "IHDR", ihdr);
  if (!plte.empty()) png_chunk(out, "PLTE", plte);
  if (!trns.empty()) png_chunk(out, "tRNS", trns);
  if (!rows.empty()) {
    uLongf size = compressBound(static_cast<uLong>(rows.size()));
    std::string idat(size, '\0');
    check(compress2(reinterpret_cast<Bytef*>(idat.data()), &size,
                    reinterpret_cast<const Bytef*>(rows.data()), static_cast<uLong>(rows.size()),
                    9) == Z_OK,
          "compress2 failed");
    idat.resize(size);
    png_chunk(out, "IDAT", idat);
  }
  png_chunk(out, "IEND", "");
  return out;
}

// The picture's distinct colours (first `channels` samples) and each pixel's index among them.
std::vector<Colour> palette_of(const std::vector<Picture>& pictures,
                               std::vector<std::vector<uint8_t>>& indices) {
  std::vector<Colour> palette;
  for (const Picture& p : pictures) {
    indices.emplace_back();
    for (size_t i = 0; i < p.pixels.size(); i += p.channels) {
      Colour c = {0, 0, 0, 255};
      std::copy_n(p.pixels.begin() + static_cast<long>(i), p.channels, c.begin());
      auto it = std::find(palette.begin(), palette.end(), c);
      if (it == palette.end()) {
        check(palette.size() < 256, "more than 256 colours for a palette");
        it = palette.insert(palette.end(), c);
      }
      indices.back().push_back(static_cast<uint8_t>(it - palette.begin()));
    }
  }
  return palette;
}

void check_picture(const Picture& p) {
  check(p.width > 0 && p.height > 0 && p.channels >= 1 && p.channels <= 4 &&
            p.pixels.size() == static_cast<size_t>(p.width) * p.height * p.channels,
        "bad picture");
}

}  // namespace

Picture solid(int width, int height, int channels, Colour colour) {
  Picture p{width, height, channels, {}};
  p.pixels.resize(static_cast<size_t>(width) * height * channels);
  fill(p, 0, 0, width, height, colour);
  return p;
}

void fill(Picture& picture, int x0, int y0, int x1, int y1, Colour colour) {
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x)
      std::copy_n(colour.begin(), picture.channels,
                  picture.pixels.begin() +
                      (static_cast<long>(y) * picture.width + x) * picture.channels);
}

std::string png_bytes(const Picture& p) {
  check_picture(p);
  std::string out;
  check(stbi_write_png_to_func(append_to_string, &out, p.width, p.height, p.channels,
                               p.pixels.data(), p.width * p.channels) != 0,
        "stbi_write_png_to_func failed");
  return out;
}

std::string png16_bytes(const Picture& p) {
  check_picture(p);
  static const int kColourType[] = {0, 0, 4, 2, 6};  // by channel count
  std::string rows;
  for (int y = 0; y < p.height; ++y) {
    rows += '\0';
    for (int i = 0; i < p.width * p.channels; ++i)
      rows.append(2,
                  static_cast<char>(p.pixels[static_cast<size_t>(y) * p.width * p.channels + i]));
  }
  return png_file(p.width, p.height, 16, kColourType[p.channels], rows);
}

std::string palette_png_bytes(const Picture& p) {
  check_picture(p);
  check(p.channels >= 3, "a palette PNG needs 3 or 4 channels");
  std::vector<std::vector<uint8_t>> indices;
  const std::vector<Colour> palette = palette_of({p}, indices);
  std::string plte, trns, rows;
  for (const Colour& c : palette) {
    plte += {static_cast<char>(c[0]), static_cast<char>(c[1]), static_cast<char>(c[2])};
    trns += static_cast<char>(c[3]);
  }
  for (int y = 0; y < p.height; ++y) {
    rows += '\0';
    for (int x = 0; x < p.width; ++x)
      rows += static_cast<char>(indices[0][static_cast<size_t>(y) * p.width + x]);
  }
  return png_file(p.width, p.height, 8, 3, rows, plte, p.channels == 4 ? trns : "");
}

std::string png_header_only(uint32_t width, uint32_t height) {
  return png_file(width, height, 8, 2, "");
}

std::string jpeg_bytes(const Picture& p, int quality) {
  check_picture(p);
  std::string out;
  check(stbi_write_jpg_to_func(append_to_string, &out, p.width, p.height, p.channels,
                               p.pixels.data(), quality) != 0,
        "stbi_write_jpg_to_func failed");
  return out;
}

std::string progressive_jpeg_bytes() {
  // Made once with Pillow 11 in a throwaway venv:
  //   Image.new("RGB", (40, 24), (200, 80, 40)).save("progressive.jpg", "JPEG", quality=90,
  //                                                   progressive=True, optimize=True,
  //                                                   subsampling=0)
  const std::string path = GANTRAIN_SOURCE_DIR "/tests/fixtures/images/progressive.jpg";
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), "cannot read tests/fixtures/images/progressive.jpg");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string bmp_bytes(const Picture& p) {
  check_picture(p);
  std::string out;
  check(stbi_write_bmp_to_func(append_to_string, &out, p.width, p.height, p.channels,
                               p.pixels.data()) != 0,
        "stbi_write_bmp_to_func failed");
  return out;
}

std::string tga_bytes(const Picture& p) {
  check_picture(p);
  std::string out;
  check(stbi_write_tga_to_func(append_to_string, &out, p.width, p.height, p.channels,
                               p.pixels.data()) != 0,
        "stbi_write_tga_to_func failed");
  return out;
}

std::string pnm_bytes(const Picture& p) {
  check_picture(p);
  check(p.channels == 1 || p.channels == 3, "PNM needs 1 or 3 channels");
  std::string out = (p.channels == 1 ? "P5\n" : "P6\n") + std::to_string(p.width) + " " +
                    std::to_string(p.height) + "\n255\n";
  out.append(p.pixels.begin(), p.pixels.end());
  return out;
}

std::string gif_bytes(const std::vector<Picture>& frames) {
  check(!frames.empty(), "a GIF needs a frame");
  for (const Picture& p : frames) {
    check_picture(p);
    check(p.channels == 3, "GIF frames need 3 channels");
  }
  std::vector<std::vector<uint8_t>> indices;
  const std::vector<Colour> palette = palette_of(frames, indices);
  std::string out = "GIF89a";
  put_le16(out, static_cast<uint32_t>(frames[0].width));
  put_le16(out, static_cast<uint32_t>(frames[0].height));
  out += {'\xf7', 0, 0};  // a global table of 256 colours
  for (int i = 0; i < 256; ++i) {
    const Colour c = i < static_cast<int>(palette.size()) ? palette[i] : Colour{0, 0, 0, 0};
    out += {static_cast<char>(c[0]), static_cast<char>(c[1]), static_cast<char>(c[2])};
  }
  for (size_t f = 0; f < frames.size(); ++f) {
    out += ',';
    put_le16(out, 0);
    put_le16(out, 0);
    put_le16(out, static_cast<uint32_t>(frames[f].width));
    put_le16(out, static_cast<uint32_t>(frames[f].height));
    out += '\0';
    out += '\x08';  // LZW minimum code size
    // LZW without compressing: every index is a literal 9-bit code, and a clear code every 100
    // symbols keeps the decoder's table (and so the code size) from growing.
    std::string data;
    uint32_t bits = 0;
    int nbits = 0;
    auto emit = [&](uint32_t code) {
      bits |= code << nbits;
      nbits += 9;
      for (; nbits >= 8; nbits -= 8, bits >>= 8) data += static_cast<char>(bits & 0xff);
    };
    const std::vector<uint8_t>& idx = indices[f];
    for (size_t i = 0; i < idx.size(); ++i) {
      if (i % 100 == 0) emit(256);
      emit(idx[i]);
    }
    emit(257);
    if (nbits > 0) data += static_cast<char>(bits & 0xff);
    for (size_t i = 0; i < data.size(); i += 255) {
      const std::string block = data.substr(i, 255);
      out += static_cast<char>(block.size());
      out += block;
    }
    out += '\0';
  }
  out += ';';
  return out;
}

void write_file(const std::string& path, const std::string& bytes) {
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  check(static_cast<bool>(out), ("cannot write " + path).c_str());
}

MessyFolder write_messy_folder(const std::string& dir) {
  MessyFolder m;
  fs::create_directories(dir);
  auto at = [&](const std::string& rel) { return (fs::path(dir) / rel).string(); };
  auto good = [&](const std::string& rel, const std::string& bytes) {
    write_file(at(rel), bytes);
    m.good.push_back(rel);
  };
  auto bad = [&](const std::string& rel, const std::string& bytes, const std::string& reason) {
    write_file(at(rel), bytes);
    m.bad.push_back({rel, reason});
  };
  auto ignored = [&](const std::string& rel) {
    write_file(at(rel), "not a picture\n");
    m.ignored.push_back(rel);
  };
  const Colour c = kMessyColour;
  const Colour g = {kMessyGray, 255, 0, 0};

  // Top level: unlabelled.
  good("top.png", png_bytes(solid(8, 6, 3, c)));
  ignored("notes.txt");
  ignored(".DS_Store");
  ignored("Thumbs.db");
  fs::create_directory_symlink(".", at("loop"));
  m.unreadable.push_back({"loop", "symlink loop"});
  fs::create_symlink("cycle.png", at("cycle.png"));  // a link to itself: ELOOP
  m.unreadable.push_back({"cycle.png", "symlink loop"});

  // cats: every format and channel layout.
  good("cats/gray.png", png_bytes(solid(7, 5, 1, g)));
  good("cats/gray_alpha.png", png_bytes(solid(7, 5, 2, g)));
  good("cats/rgb.png", png_bytes(solid(7, 5, 3, c)));
  good("cats/rgba.png", png_bytes(solid(7, 5, 4, c)));
  good("cats/png16.png", png16_bytes(solid(9, 4, 3, c)));
  good("cats/gray16.png", png16_bytes(solid(9, 4, 1, g)));
  good("cats/palette.png", palette_png_bytes(solid(6, 6, 3, c)));
  good("cats/photo.JPG", jpeg_bytes(solid(16, 16, 3, c)));
  good("cats/progressive.jpg", progressive_jpeg_bytes());
  good("cats/bitmap.bmp", bmp_bytes(solid(5, 3, 3, c)));
  good("cats/anim.gif", gif_bytes({solid(6, 4, 3, c), solid(6, 4, 3, {0, 255, 0, 255})}));
  good("cats/targa.TGA", tga_bytes(solid(5, 5, 3, c)));
  good("cats/gray.pgm", pnm_bytes(solid(4, 4, 1, g)));
  good("cats/colour.ppm", pnm_bytes(solid(4, 4, 3, c)));
  good("cats/sub/deep/nested.png", png_bytes(solid(3, 3, 3, c)));
  bad("cats/empty.png", "", "empty file");
  ignored("cats/notes.txt");
  // Unreadable by permission, unless we are root (chmod does not stop root): asked afterwards.
  write_file(at("cats/locked.png"), png_bytes(solid(4, 4, 3, c)));
  fs::permissions(at("cats/locked.png"), fs::perms::none);
  const int fd = ::open(at("cats/locked.png").c_str(), O_RDONLY);
  m.locked_readable = fd >= 0;
  if (fd >= 0) ::close(fd);
  if (m.locked_readable) {
    m.good.push_back("cats/locked.png");
  } else {
    m.bad.push_back({"cats/locked.png", "permission denied"});
  }

  // dogs: sizes and shapes, and a loop back up.
  good("dogs/tiny 1x1.png", png_bytes(solid(1, 1, 3, c)));
  good("dogs/wide.jpeg", jpeg_bytes(solid(60, 30, 3, c)));
  good("dogs/tall.png", png_bytes(solid(10, 30, 3, c)));
  bad("dogs/misnamed.png", "this is a text file\n", "not a PNG");
  fs::create_directory_symlink("..", at("dogs/loop"));
  m.unreadable.push_back({"dogs/loop", "symlink loop"});

  // A class named with a space and non-ASCII letters (sorts first: 'Z' < 'c').
  good("Z\xc3\xa8" "bre ray\xc3\xa9/\xc3\xa9t\xc3\xa9 1.png", png_bytes(solid(5, 4, 3, c)));

  // broken: image files, none readable -> an empty class.
  const std::string whole = png_bytes(solid(20, 20, 3, c));
  bad("broken/truncated.png", whole.substr(0, whole.size() / 2), "truncated or corrupt PNG");
  bad("broken/huge.png", png_header_only(50000, 50000), "max_pixels");
  bad("broken/empty.jpg", "", "empty file");

  // docs: no image files at all -> not a class.
  ignored("docs/readme.txt");

  m.classes = {"Z\xc3\xa8" "bre ray\xc3\xa9", "cats", "dogs"};
  m.empty_classes = {"broken"};
  auto by_path = [](const ExpectedBad& a, const ExpectedBad& b) { return a.path < b.path; };
  std::sort(m.good.begin(), m.good.end());
  std::sort(m.bad.begin(), m.bad.end(), by_path);
  std::sort(m.unreadable.begin(), m.unreadable.end(), by_path);
  std::sort(m.ignored.begin(), m.ignored.end());
  return m;
}

}  // namespace gantrain::test_images
