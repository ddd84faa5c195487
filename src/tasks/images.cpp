// A GAN on a folder of the user's pictures (`--task images --data-dir DIR`): any common format
// and size, gray or colour, labels from sub-folders. The folder is decoded once into a cache
// (data/image_cache.h); this file only says what shape the run trains.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "gantrain/data/image_cache.h"
#include "gantrain/error.h"
#include "gantrain/io/png.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/model_factory.h"
#include "gantrain/models/dcgan.h"
#include "io/json_text.h"
#include "tasks/tasks.h"

namespace gantrain::detail {
namespace {

DecodeSettings decode_settings(const DataConfig& data) {
  DecodeSettings s;
  s.resolution = data.resolution;
  s.channels = data.channels;
  s.fit = data.fit;
  s.max_pixels = data.max_pixels;
  return s;
}

// A line every few seconds while a decode that has already taken a second runs on.
DecodeProgress progress_line() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last = start;
  bool shown = false;
  return [start, last, shown](int64_t done, int64_t total) mutable {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const bool due = !shown || std::chrono::duration<double>(now - last).count() >= 2.0;
    if (elapsed < 1.0 || !(due || done == total)) return;
    last = now;
    shown = true;
    const double rate = done / std::max(elapsed, 1e-9);
    spdlog::info("decoding images: {} of {} files, {:.0f} files/s, ETA {:.0f} s", done, total, rate,
                 rate > 0 ? (total - done) / rate : 0.0);
  };
}

// Stages of the default DCGAN for a side: halvings while the map stays even and 3 or more.
size_t default_stages(int64_t side) {
  size_t stages = 0;
  while (side % (int64_t{2} << stages) == 0 && side / (int64_t{2} << stages) >= 3) ++stages;
  return stages;
}

// DCGAN widths for a side when the config leaves them empty: one stage per doubling down to the
// base map (4x4 for powers of two), 64 channels at the finest stage, doubling towards the coarse
// end up to 512 (Radford et al.'s 64x64 network: [512, 256, 128, 64]).
std::vector<int64_t> default_widths(int64_t side, bool generator) {
  const size_t stages = default_stages(side);
  std::vector<int64_t> widths;
  for (size_t i = 0; i < stages; ++i)
    widths.push_back(std::min<int64_t>(512, int64_t{64} << i));
  if (generator) std::reverse(widths.begin(), widths.end());  // G lists coarse to fine
  return widths;
}

class Images : public Task {
 public:
  explicit Images(const Config& config) : config_(config) {}

  std::string title() const override { return "images (" + config_.data.dir + ")"; }

  void prepare(Config& config, bool announce) override {
    if (config.model.arch == ModelArch::kDcgan) {
      const int64_t side = config.data.resolution;
      const size_t stages = default_stages(side);
      // The base map's kernel is base x base: a large one (side 200: 25x25) is slow and huge.
      const bool default_widths_asked =
          config.model.g_channels.empty() || config.model.d_channels.empty();
      if (default_widths_asked && (stages == 0 || side >> stages > 8))
        throw ConfigError("data.resolution = " + std::to_string(side) +
                          ": model.arch dcgan needs a side that halves down to 3 to 8 pixels "
                          "(such as 16, 24, 28, 32, 48, 64, 96 or 128); use one of those or "
                          "model.arch mlp");
      if (config.model.g_channels.empty())
        config.model.g_channels = default_widths(config.data.resolution, true);
      if (config.model.d_channels.empty())
        config.model.d_channels = default_widths(config.data.resolution, false);
    }
    config_ = config;
    const ImageCache& data = load(announce);
    config.data.channels = config_.data.channels = data.channels;
    const auto found = static_cast<int64_t>(data.classes.size());
    if (config.data.classes != 0 && config.data.classes != found)
      throw ConfigError("data.classes = " + std::to_string(config.data.classes) + ": " +
                        config.data.dir + " has " + std::to_string(found) +
                        " class folders (set 0 to take what the folder holds)");
    config.data.classes = config_.data.classes = found;
    if (config.model.conditional && found >= 2) {
      const auto unlabelled = std::count(data.labels.begin(), data.labels.end(), int64_t{-1});
      if (unlabelled > 0)
        throw ConfigError("model.conditional = true: " + std::to_string(unlabelled) +
                          " pictures at the top of " + config.data.dir +
                          " have no class; move them into a class folder or train unconditionally");
    }
  }

  SampleShape sample_shape() const override {
    const int64_t c = config_.data.channels, side = config_.data.resolution;
    if (c == 0) throw Error("images: data.channels is not resolved yet (internal)");
    return {c * side * side, c, side, config_.data.classes};
  }
  Generator make_generator() const override {
    return gantrain::make_generator(config_, sample_shape(), MlpOutput::kTanh);
  }
  Discriminator make_discriminator() const override {
    return gantrain::make_discriminator(config_, sample_shape());
  }

  std::unique_ptr<BatchSource> make_data(torch::Device device, Shard shard) const override {
    const ImageCache& data = load(false);
    int64_t n = data.count;
    if (config_.data.limit > 0) n = std::min(n, config_.data.limit);
    if (config_.train.batch_size > n)
      throw ConfigError("train.batch_size = " + std::to_string(config_.train.batch_size) +
                        ": larger than the " + std::to_string(n) + " images of " + config_.data.dir);
    torch::Tensor labels;  // only a conditional run reads them
    if (config_.model.conditional)
      labels = torch::tensor(std::vector<int64_t>(data.labels.begin(), data.labels.begin() + n),
                             torch::kLong).to(device);
    // On the CPU the batches are drawn straight from the cache's memory map.
    return std::make_unique<TensorBatches>(pixels(n).to(device), config_.train.batch_size, shard,
                                           config_.data.mirror ? data.resolution : 0, labels);
  }

  std::vector<std::pair<std::string, std::string>> data_files() const override {
    const ImageCache& data = load(false);
    std::vector<int64_t> counts(data.classes.size(), 0);
    int64_t unlabelled = 0;
    for (int64_t label : data.labels) label < 0 ? ++unlabelled : ++counts[label];
    std::string labels = "{\n  \"classes\": [";
    for (size_t i = 0; i < data.classes.size(); ++i)
      labels += (i ? ", " : "") + json_quoted(data.classes[i]);
    labels += "],\n  \"counts\": [";
    for (size_t i = 0; i < counts.size(); ++i) labels += (i ? ", " : "") + std::to_string(counts[i]);
    labels += "],\n  \"unlabelled\": " + std::to_string(unlabelled) + ",\n  \"skipped\": " +
              std::to_string(data.skipped.size()) + "\n}\n";
    std::string skipped;
    for (const auto& bad : data.skipped) skipped += bad.path + "\t" + bad.reason + "\n";
    return {{"labels.json", labels}, {"skipped_files.txt", skipped}};
  }

  std::vector<std::string> eval_groups() const override { return images_eval_groups(); }
  std::unique_ptr<Evaluator> make_evaluator(const std::vector<std::string>& groups,
                                            torch::Device device) const override {
    const ImageCache& data = load(false);
    ImageSet set;
    set.pixels = pixels(data.count);
    set.labels = torch::tensor(data.labels, torch::kLong);
    set.classes = data.classes;
    set.channels = data.channels;
    set.side = data.resolution;
    set.key = data.fingerprint;
    return make_images_evaluator(config_, set, groups, device);
  }

  SampleKind sample_kind() const override { return SampleKind::kImageGrid; }
  std::string encode_samples(const torch::Tensor& samples, int64_t nrow,
                             int64_t scale) const override {
    const SampleShape s = sample_shape();
    torch::Tensor pixels = samples.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return encode_png(upscale(
        make_grid(pixels.data_ptr<float>(), pixels.size(0), s.channels, s.side, s.side, nrow),
        scale));
  }

 private:
  // The first `n` cached images as a [n, C*side*side] uint8 tensor over the memory map.
  torch::Tensor pixels(int64_t n) const {
    const ImageCache& data = *cache_;
    auto mapping = data.mapping;
    return torch::from_blob(const_cast<uint8_t*>(data.pixels),
                            {n, data.channels * data.resolution * data.resolution},
                            [mapping](void*) mutable { mapping.reset(); }, torch::kByte);
  }

  const ImageCache& load(bool announce) const {
    if (cache_) return *cache_;
    const DataConfig& d = config_.data;
    if (d.dir.empty())
      throw ConfigError("task images needs a folder of pictures: --data-dir DIR (data.dir)");
    const std::string cache_dir = d.cache_dir.empty() ? cache_directory() : d.cache_dir;
    cache_ = std::make_unique<ImageCache>(open_image_cache(
        d.dir, decode_settings(d), cache_dir, d.on_bad_file, announce ? progress_line() : nullptr));
    const ImageCache& c = *cache_;
    if (announce) {
      spdlog::info("images: {} of {} files in {} -> {}x{}x{}, {} classes; cache {} ({} in {:.2f} s)",
                   c.count, c.files_found, d.dir, c.resolution, c.resolution, c.channels,
                   c.classes.size(), c.file, c.rebuilt ? "decoded" : "reused", c.seconds);
      for (const auto& empty : c.empty_classes)
        spdlog::warn("images: class folder {} holds no readable image: skipped", empty);
      if (!c.skipped.empty()) spdlog::warn("images: {}", skipped_summary(c));
    }
    return c;
  }

  Config config_;
  mutable std::unique_ptr<ImageCache> cache_;
};

}  // namespace

TaskEntry images_task() {
  TaskEntry entry;
  entry.name = "images";
  entry.summary = "DCGAN on a folder of pictures (--data-dir DIR; sub-folders are classes)";
  entry.set_defaults = [](Config& c) {
    c.model.arch = ModelArch::kDcgan;
    c.model.latent_dim = 100;
    c.model.noise = NoiseKind::kGaussian;
    c.model.g_channels = {};  // from data.resolution (prepare())
    c.model.d_channels = {};
    c.model.g_hidden = {256, 512, 1024};
    c.model.d_hidden = {1024, 512, 256};
    c.model.leaky_slope = 0.2;
    c.model.dropout = 0.0;
    c.train.steps = 0;
    c.train.epochs = 20;
    c.train.batch_size = 64;
    c.train.lr_g = 2e-4;
    c.train.lr_d = 2e-4;
    c.train.beta1 = 0.5;
    c.train.order = StepOrder::kDiscriminatorFirst;
    c.train.ema_decay = 0.999;
    c.log.every = 100;
    c.log.sample_every = 500;
    c.log.checkpoint_every = 500;
    c.eval.samples = 2000;
  };
  entry.create = [](const Config& c) { return std::make_unique<Images>(c); };
  return entry;
}

}  // namespace gantrain::detail
