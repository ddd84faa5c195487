#pragma once
/// A folder of pictures in any common format and size, read into square images of one
/// resolution (the images task). Torch-free: scanning, decoding (stb_image), fitting and
/// resizing (stb_image_resize). Labels follow the ImageFolder convention: each first-level
/// sub-folder is a class; files at the top level are unlabelled.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gantrain/choices.h"

namespace gantrain {

/// What decides the decoded pixels; every field is part of the decoded cache's key.
struct DecodeSettings {
  int64_t resolution = 32;        ///< side of the square output images
  int64_t channels = 0;           ///< 1 or 3; 0 = 3 unless every readable image is gray
  FitMode fit = FitMode::kCrop;   ///< how a non-square picture becomes square
  int64_t max_pixels = 50'000'000;  ///< larger pictures (width * height from the header) are bad
};

/// A file the scan found with an image extension (matched without regard to case).
struct SourceFile {
  std::string path;      ///< relative to the folder, '/'-separated, as the file system spells it
  int64_t size = 0;      ///< bytes
  int64_t mtime_ns = 0;  ///< modification time, nanoseconds since the epoch
  std::string folder;    ///< first-level sub-folder (its class), empty at the top level
};

/// A file that could not be used, and why ("empty file", "truncated or corrupt PNG",
/// "50000x50000 is over data.max_pixels = 50000000", "permission denied", ...).
struct BadFile {
  std::string path;  ///< relative to the folder
  std::string reason;
};

/// What a scan of the folder found, without decoding anything.
struct FolderScan {
  std::vector<SourceFile> files;  ///< image files, sorted by path
  std::vector<BadFile> unreadable;  ///< entries that could not be listed or stat-ed (a
                                    ///< permission, a symlink loop, a file gone during the scan)
};

/// Lists the image files under `root`, recursively (symlinks followed, loops skipped). Other
/// files (notes.txt, .DS_Store, Thumbs.db) are ignored silently. Throws gantrain::Error when
/// `root` is missing or not a directory.
FolderScan scan_image_folder(const std::string& root);

/// Progress of a long decode: files done so far of the total.
using DecodeProgress = std::function<void(int64_t done, int64_t total)>;

/// The decoded data set.
struct DecodedImages {
  int64_t channels = 0;             ///< 1 or 3 (settings.channels, or what 0 resolved to)
  int64_t resolution = 0;           ///< side
  std::vector<uint8_t> pixels;      ///< [count, channels, resolution, resolution], row-major
  std::vector<int64_t> labels;      ///< [count]: index into classes, -1 for top-level files
  /// First-level folders holding at least one readable image, sorted by name (byte order).
  std::vector<std::string> classes;
  /// First-level folders with image files but none readable (not classes).
  std::vector<std::string> empty_classes;
  std::vector<SourceFile> sources;  ///< the files kept, in the order of `labels`
  /// Every file that could not be read, with why: the scan's unreadable, then the files that
  /// failed to decode; each part sorted by path.
  std::vector<BadFile> skipped;
  int64_t count() const { return static_cast<int64_t>(labels.size()); }
};

/// Decodes the scanned files on `threads` threads (0 = all cores) into `settings`' images:
/// alpha composited on black, 16 bits reduced to 8, gray expanded to RGB or RGB reduced to gray
/// as asked, fitted (crop, pad or stretch) and resized with stb_image_resize's filter. A file
/// that fails (empty, truncated, misnamed, over max_pixels from its header) is listed in
/// `skipped`, never thrown. `progress`, if set, is called from the calling thread: (0, total)
/// first, then about every 100 ms, and (total, total) at the end; an exception it throws stops
/// the decoding and comes out of this call. Output does not depend on `threads`.
DecodedImages decode_image_folder(const std::string& root, const FolderScan& scan,
                                  const DecodeSettings& settings, int threads = 0,
                                  const DecodeProgress& progress = nullptr);

/// One picture's file bytes -> [channels, side, side] pixels, as decode_image_folder does it
/// (channels 1 or 3). Throws gantrain::Error with the reason on a file it cannot read.
std::vector<uint8_t> decode_picture(const std::string& bytes, const DecodeSettings& settings,
                                    int64_t channels);

/// Whether `path`'s extension is one the images task reads (png, jpg, jpeg, bmp, gif, tga, pnm,
/// pgm, ppm), in any case.
bool is_image_file_name(const std::string& path);

}  // namespace gantrain
