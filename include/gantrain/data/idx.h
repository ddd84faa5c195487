#pragma once
/// Reader for the IDX format that MNIST and Fashion-MNIST ship in (unsigned bytes only).
#include <cstdint>
#include <string>
#include <vector>

namespace gantrain {

/// An IDX array of unsigned bytes: dims (e.g. [N, 28, 28]) and the row-major data.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Parses IDX bytes held in memory, raw or gzip-compressed; `name` (usually the file path) prefixes every error.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& name);

/// Reads an IDX file, raw or gzip-compressed (detected from the 1f 8b magic bytes, not the file name).
IdxArray read_idx(const std::string& path);

/// One split of an MNIST-format data set: images [N, rows, cols], labels [N] (values 0-9).
struct MnistSplit {
  IdxArray images;
  IdxArray labels;
};

/// Loads `<dir>/<split>-images-idx3-ubyte[.gz]` and `<dir>/<split>-labels-idx1-ubyte[.gz]` (split = "train" or "t10k"), preferring the raw file when both exist.
MnistSplit load_mnist_split(const std::string& dir, const std::string& split);

}  // namespace gantrain
