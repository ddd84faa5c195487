#pragma once
/// The evaluation classifier's cache: its trained weights kept between runs, one file per key
/// (the data it was trained on, its version), so that it is trained once per data set.
#include <torch/torch.h>

#include <string>

#include "gantrain/data/idx.h"

namespace gantrain {

/// A cache key naming a data set by its bytes: CRC-32 of the images, then the labels, as 8
/// lower-case hex digits.
std::string data_checksum(const MnistSplit& data);

/// The cache file of `key` in `directory`: <directory>/classifier-<key>.pt.
std::string classifier_cache_file(const std::string& directory, const std::string& key);

/// Loads the weights cached under `key` into `classifier` and moves it to `device`. False when
/// there is no such file, or, with a warning, when it does not load or its shapes differ: the
/// caller trains a new classifier then (this one may hold part of the file).
bool load_cached_classifier(const std::string& directory, const std::string& key,
                            torch::nn::Module& classifier, torch::Device device);

/// Writes `classifier`'s weights under `key`, atomically. A failure is a warning, not an error:
/// the next run trains again.
void save_cached_classifier(const std::string& directory, const std::string& key,
                            const torch::nn::Module& classifier);

}  // namespace gantrain
