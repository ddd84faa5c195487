#include "gantrain/io/classifier_cache.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include "gantrain/error.h"
#include "gantrain/io/checkpoint.h"

namespace gantrain {
namespace {

std::map<std::string, std::vector<int64_t>> shapes_of(const torch::nn::Module& module) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : module.named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  for (const auto& b : module.named_buffers()) shapes[b.key()] = b.value().sizes().vec();
  return shapes;
}

}  // namespace

std::string data_checksum(const MnistSplit& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (const IdxArray* a : {&data.images, &data.labels})
    crc = crc32_z(crc, a->data.data(), a->data.size());
  char text[16];
  std::snprintf(text, sizeof text, "%08lx", static_cast<unsigned long>(crc));
  return text;
}

std::string classifier_cache_file(const std::string& directory, const std::string& key) {
  return directory + "/classifier-" + key + ".pt";
}

bool load_cached_classifier(const std::string& directory, const std::string& key,
                            torch::nn::Module& classifier, torch::Device device) {
  const std::string path = classifier_cache_file(directory, key);
  if (!std::filesystem::exists(path)) return false;
  try {
    torch::serialize::InputArchive archive = read_archive(path, device);
    torch::serialize::InputArchive weights;
    archive.read("classifier", weights);
    const auto shapes = shapes_of(classifier);
    classifier.load(weights);
    // load() takes each tensor as the file has it, whatever its shape.
    if (shapes_of(classifier) != shapes) throw Error("its weights have other shapes");
    classifier.to(device);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("{}: cached classifier unusable, training a new one: {}", path,
                 first_line(e.what()));
    return false;
  }
}

void save_cached_classifier(const std::string& directory, const std::string& key,
                            const torch::nn::Module& classifier) {
  torch::serialize::OutputArchive archive, weights;
  archive.write("format", c10::IValue(kCheckpointFormat));  // read_archive checks it
  classifier.save(weights);
  archive.write("classifier", weights);
  try {
    write_archive(archive, classifier_cache_file(directory, key));
  } catch (const Error& e) {
    spdlog::warn("{} (the classifier will not be cached)", e.what());
  }
}

}  // namespace gantrain
