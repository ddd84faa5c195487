#pragma once
/// The images task's decoded cache: a folder of pictures decoded once into one file (uint8
/// pixels, labels, the source files with their sizes and modification times, the decode
/// settings), memory-mapped by later runs, resumes, `eval` and every rank. It is rebuilt by
/// itself when a file is added, removed or changed, or a setting changes. Torch-free.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gantrain/data/image_folder.h"

namespace gantrain {

/// A loaded cache: the decoded data set, its pixels in a read-only memory map.
struct ImageCache {
  std::string file;                  ///< the cache file
  bool rebuilt = false;              ///< decoded by this call (else reused)
  double seconds = 0;                ///< spent decoding or loading
  int64_t files_found = 0;           ///< image files the scan found (kept + skipped)
  int64_t channels = 0, resolution = 0;
  int64_t count = 0;                 ///< images kept
  std::vector<int64_t> labels;       ///< [count]
  std::vector<std::string> classes;  ///< by label
  std::vector<std::string> empty_classes;
  std::vector<BadFile> skipped;
  std::string fingerprint;           ///< 16 hex digits naming the sources and settings
  /// [count, channels, resolution, resolution] bytes, valid while `mapping` lives.
  const uint8_t* pixels = nullptr;
  std::shared_ptr<const void> mapping;
};

/// The cache of `root` under these settings in `cache_dir`: loaded when one exists that
/// matches the folder as it is now, else decoded (on all cores, `progress` called while it
/// runs) and written atomically. Concurrent callers (the ranks of one run) take turns under a
/// file lock, so the folder is decoded once. Throws gantrain::Error when the folder is missing
/// or holds no readable image, or when `on_bad_file` is error and a file is bad, or when the
/// decoded set would not fit in memory (naming its size).
ImageCache open_image_cache(const std::string& root, const DecodeSettings& settings,
                            const std::string& cache_dir, OnBadFile on_bad_file,
                            const DecodeProgress& progress = nullptr);

/// "skipped 7 of 8,003 image files that could not be read (first: a.png: empty file; ...)",
/// or empty when nothing was skipped.
std::string skipped_summary(const ImageCache& cache);

}  // namespace gantrain
