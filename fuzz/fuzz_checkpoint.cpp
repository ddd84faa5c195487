// libFuzzer target: the checkpoint loader, as `--resume` and `sample` use it. The bytes are
// written to a file, opened with read_archive(), their config parsed and validated, and the
// state loaded into freshly built models, optimizers and (even-bits) data source. The contract:
// gantrain::Error or c10::Error (which train() turns into an Error), never a crash or a hang.
// Most mutations break a zip checksum, which read_archive() refuses before LibTorch parses
// anything; so that the fuzzer also reaches LibTorch's parser and our loaders, the custom
// mutator below rewrites the checksums after mutating half of the time.
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/run_state.h"
#include "gantrain/task.h"
#include "gantrain/trainer.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

uint64_t le(const uint8_t* p, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Recomputes the central directory's CRC-32 of every stored record that still lies inside the
// buffer (classic zip fields only: the corpus files are small).
void fix_checksums(uint8_t* data, size_t size) {
  size_t end = size >= 22 ? size - 22 : 0;
  while (end > 0 && le(data + end, 4) != 0x06054b50) --end;
  if (size < 22 || le(data + end, 4) != 0x06054b50) return;
  uint64_t at = le(data + end + 16, 4);
  for (uint64_t i = 0, n = le(data + end + 10, 2); i < n && at + 46 <= size; ++i) {
    if (le(data + at, 4) != 0x02014b50) return;
    const uint64_t method = le(data + at + 10, 2), length = le(data + at + 20, 4),
                   local = le(data + at + 42, 4);
    if (method == 0 && local + 30 <= size) {
      const uint64_t start = local + 30 + le(data + local + 26, 2) + le(data + local + 28, 2);
      if (start <= size && length <= size - start)
        put_le32(data + at + 16, static_cast<uint32_t>(crc32(0L, data + start, static_cast<uInt>(length))));
    }
    at += 46 + le(data + at + 28, 2) + le(data + at + 30, 2) + le(data + at + 32, 2);
  }
}

// The harness, not the product, caps the model: validate() allows 500M parameters, far above
// libFuzzer's 2 GB memory limit.
bool small_enough(const gantrain::Config& c) {
  int64_t widths = c.model.latent_dim;
  for (int64_t w : c.model.g_hidden) widths += w;
  for (int64_t w : c.model.d_hidden) widths += w;
  if (c.model.arch == gantrain::ModelArch::kDcgan)
    for (const auto* list : {&c.model.g_channels, &c.model.d_channels})
      for (int64_t w : *list) widths += 8 * w;  // a convolution's 4x4 kernels weigh more
  return widths <= 4096 && c.model.g_hidden.size() + c.model.d_hidden.size() <= 8 &&
         c.log.grid_samples <= 1024 && c.train.batch_size <= 64 && c.train.d_steps <= 4;
}

// MNIST's data source needs the data set itself: this stands in for it, with no position.
class RandomImages : public gantrain::BatchSource {
 public:
  explicit RandomImages(int64_t batch_size) : batch_size_(batch_size) {}
  gantrain::Batch next_batch() override { return torch::rand({batch_size_, 784}) * 2 - 1; }
  int64_t epoch() const override { return 1; }
  int64_t batches_per_epoch() const override { return 0; }

 private:
  int64_t batch_size_;
};

void load(const std::string& path) {
  auto archive = gantrain::read_archive(path, torch::kCPU);
  gantrain::Config config = gantrain::find_resume_point(path).config;
  gantrain::validate(config);
  if (!small_enough(config)) return;
  auto task = gantrain::find_task(config.task).create(config);
  gantrain::Networks networks = gantrain::make_networks(*task, config);
  gantrain::Trainer trainer(networks.generator, networks.discriminator, config.model.latent_dim,
                            gantrain::trainer_options(config), torch::kCPU, nullptr, networks.ema);
  std::unique_ptr<gantrain::BatchSource> data;
  if (config.task == "even-bits")
    data = task->make_data(torch::kCPU, {});
  else
    data = std::make_unique<RandomImages>(config.train.batch_size);
  gantrain::RunState state = gantrain::load_run_state(archive, trainer, *data, {});
  gantrain::set_generator_state(gantrain::default_generator(torch::kCPU), state.rng.cpu);
  // One step on the loaded state: a mismatch must surface as an error, not a crash.
  std::vector<gantrain::Batch> real;
  for (int64_t i = 0; i < config.train.d_steps; ++i) real.push_back(data->next_batch());
  trainer.train_step(real);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("gantrain_fuzz_" + std::to_string(::getpid()) + ".pt"))
                                      .string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    load(path);
  } catch (const gantrain::Error&) {
  } catch (const c10::Error&) {
  }
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 2 == 0) fix_checksums(data, size);
  return size;
}
