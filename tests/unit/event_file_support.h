#pragma once
// Test helpers for TensorBoard event files (no LibTorch): PNGs to write, and a fixture with a
// directory to hold the files. One fixture for event_file_test.cpp and tensorboard_sink_test.cpp,
// so that both keep the TensorBoardTest names the docs cite.
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gantrain/io/event_file.h"
#include "temp_dir.h"

namespace testing_support {

/// Replaces the file at `path` with `bytes`.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// A real w x h PNG with `comp` channels, encoded by stb.
inline std::string make_png(int w, int h, int comp) {
  std::vector<unsigned char> pixels(static_cast<size_t>(w * h * comp), 128);
  std::string png;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  };
  EXPECT_NE(stbi_write_png_to_func(append, &png, w, h, comp, pixels.data(), w * comp), 0);
  return png;
}

/// The step of each event, in file order.
inline std::vector<int64_t> steps_of(const std::vector<gantrain::Event>& events) {
  std::vector<int64_t> steps;
  for (const gantrain::Event& e : events) steps.push_back(e.step);
  return steps;
}

/// A temporary directory for event files.
class TensorBoardTest : public TempDirTest {
 protected:
  /// Every file in the directory, sorted.
  std::vector<std::string> event_files() const {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
  }

  /// A file with the version event and scalars "x" at steps 1, 2, 3.
  std::string three_scalars() {
    const std::string p = path("three.tfevents");
    gantrain::EventFileWriter w(p);
    for (int64_t step : {1, 2, 3}) w.scalar(step, "x", static_cast<float>(step) / 2);
    return p;
  }
};

}  // namespace testing_support
