// The images task's input side, timed (bench/images.sh): decoding a folder into square images
// on 1 thread and on all cores, writing the decoded cache, loading it again, and turning cached
// pixels into training batches (uint8 -> normalised, mirrored, augmented floats).
//   image_bench DIR [--resolution R] [--channels C] [--cache-dir D] [--batch B]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "gantrain/data/batch_source.h"
#include "gantrain/data/image_cache.h"
#include "gantrain/models/diff_augment.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gantrain;
  if (argc < 2) {
    std::fprintf(stderr, "usage: image_bench DIR [--resolution R] [--channels C] [--cache-dir D] [--batch B]\n");
    return 2;
  }
  const std::string root = argv[1];
  DecodeSettings settings;
  std::string cache_dir = "/tmp/gantrain_image_bench";
  int64_t batch = 64;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--resolution") settings.resolution = std::atoll(value.c_str());
    else if (flag == "--channels") settings.channels = std::atoll(value.c_str());
    else if (flag == "--cache-dir") cache_dir = value;
    else if (flag == "--batch") batch = std::atoll(value.c_str());
    else {
      std::fprintf(stderr, "image_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    auto start = std::chrono::steady_clock::now();
    const FolderScan scan = scan_image_folder(root);
    const double scan_s = seconds_since(start);
    const double files = static_cast<double>(scan.files.size());
    std::printf("folder %s: %zu image files, scan %.2f s\n", root.c_str(), scan.files.size(), scan_s);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    for (int threads : {1, static_cast<int>(cores)}) {
      start = std::chrono::steady_clock::now();
      const DecodedImages decoded = decode_image_folder(root, scan, settings, threads);
      const double s = seconds_since(start);
      std::printf("decode %dx%d, %d thread(s): %.2f s, %.0f images/s\n",
                  static_cast<int>(settings.resolution), static_cast<int>(settings.resolution),
                  threads, s, files / s);
    }
    std::filesystem::remove_all(cache_dir);
    start = std::chrono::steady_clock::now();
    ImageCache built = open_image_cache(root, settings, cache_dir, OnBadFile::kSkip);
    std::printf("cache built (scan + decode on %u cores + write): %.2f s, %lld images, %.1f MB\n",
                cores, seconds_since(start), static_cast<long long>(built.count),
                std::filesystem::file_size(built.file) / 1e6);
    for (int i = 0; i < 3; ++i) {
      start = std::chrono::steady_clock::now();
      ImageCache loaded = open_image_cache(root, settings, cache_dir, OnBadFile::kSkip);
      std::printf("cache loaded (scan + header + mmap): %.3f s%s\n", seconds_since(start),
                  loaded.rebuilt ? " (REBUILT: unexpected)" : "");
    }

    // The input path of one step: a batch drawn from the mapped cache, normalised, mirrored, and
    // DiffAugment's colour, translation and cutout on it.
    ImageCache cache = open_image_cache(root, settings, cache_dir, OnBadFile::kSkip);
    const int64_t pixels = cache.channels * cache.resolution * cache.resolution;
    torch::Tensor data = torch::from_blob(const_cast<uint8_t*>(cache.pixels), {cache.count, pixels},
                                          torch::kByte);
    TensorBatches batches(data, batch, {}, cache.resolution);
    const int repeats = 200;
    for (int i = 0; i < 20; ++i) batches.next_batch();
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) batches.next_batch();
    const double draw_ms = seconds_since(start) * 1000 / repeats;
    torch::Tensor real = batches.next_batch().samples;
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) diff_augment(real, cache.channels, cache.resolution);
    const double augment_ms = seconds_since(start) * 1000 / repeats;
    std::printf("batch of %lld at %lldx%lldx%lld: draw + normalise + mirror %.2f ms, diffaugment %.2f ms\n",
                static_cast<long long>(batch), static_cast<long long>(cache.resolution),
                static_cast<long long>(cache.resolution), static_cast<long long>(cache.channels),
                draw_ms, augment_ms);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "image_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
