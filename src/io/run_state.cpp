#include "gantrain/io/run_state.h"

#include <spdlog/spdlog.h>

#include "gantrain/error.h"
#include "gantrain/io/adam_archive.h"
#include "gantrain/io/checkpoint.h"

namespace gantrain {
namespace {

// This shard's state of `key`: its row of "<key>_ranks" when the checkpoint has one per rank of
// this world size, else "<key>" (rank 0's). Sets `rows` to the rows of "<key>_ranks" (1 if none).
torch::Tensor rank_state(torch::serialize::InputArchive& archive, const std::string& key,
                         Shard shard, int64_t& rows) {
  // Two tensors: try_read into a defined tensor set_()s it, which would rewrite the archive's
  // own "<key>_ranks" that the first read returned.
  torch::Tensor all, own;
  rows = 1;
  if (archive.try_read(key + "_ranks", all) && all.dim() == 2) {
    rows = all.size(0);
    // A tensor of its own: LibTorch 2.x's generator crashed (SIGSEGV) restoring a row view.
    if (rows == shard.world_size) return all[shard.rank].cpu().clone();
  }
  if (archive.try_read(key, own)) return own.cpu();
  return {};
}

// A fresh tensor for every read: reading into a defined one set_()s it.
int64_t read_count(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor value;
  archive.read(key, value);
  TORCH_CHECK(value.numel() == 1, "the checkpoint's ", key, " is not one number");
  return value.item<int64_t>();
}

void write_module(torch::serialize::OutputArchive& archive, const std::string& key,
                  const torch::nn::Module& module) {
  torch::serialize::OutputArchive part;
  module.save(part);
  archive.write(key, part);
}

void write_adam(torch::serialize::OutputArchive& archive, const std::string& key,
                const FlatAdam& optimizer) {
  torch::serialize::OutputArchive part;
  save_adam(part, optimizer);
  archive.write(key, part);
}

void read_adam(torch::serialize::InputArchive& archive, const std::string& key,
               FlatAdam& optimizer) {
  torch::serialize::InputArchive part;
  archive.read(key, part);
  load_adam(part, optimizer);
}

void load_networks(torch::serialize::InputArchive& archive, Trainer& trainer) {
  torch::serialize::InputArchive g, d;
  archive.read("generator", g);
  archive.read("discriminator", d);
  load_parameters(*trainer.generator(), g);
  load_parameters(*trainer.discriminator(), d);
  // Module::load gave the parameters storage of their own.
  trainer.generator_optimizer().rebind();
  trainer.discriminator_optimizer().rebind();
  if (!trainer.generator_ema()) return;
  torch::serialize::InputArchive average;
  if (archive.try_read("generator_ema", average)) {
    load_parameters(*trainer.generator_ema(), average);
  } else {
    spdlog::info("the checkpoint has no generator EMA (it was trained without "
                 "train.ema_decay): the average starts from its generator");
    copy_state(*trainer.generator_ema(), *trainer.generator());
  }
}

void save_position(torch::serialize::OutputArchive& archive, const BatchSource& data) {
  torch::serialize::OutputArchive part;
  if (const std::optional<BatchPosition> p = data.position()) {
    part.write("epoch", torch::tensor(p->epoch));
    part.write("position", torch::tensor(p->position));
    if (p->order.defined()) part.write("order", p->order);
  }
  archive.write("data", part);
}

void load_position(torch::serialize::InputArchive& archive, BatchSource& data) {
  torch::serialize::InputArchive part;
  archive.read("data", part);
  if (!data.position()) return;  // the random state is its whole position
  BatchPosition p;
  p.epoch = read_count(part, "epoch");
  p.position = read_count(part, "position");
  part.try_read("order", p.order);
  data.restore(p);
}

}  // namespace

void save_trainer_state(torch::serialize::OutputArchive& archive, const Trainer& trainer) {
  write_module(archive, "generator", *trainer.generator());
  write_module(archive, "discriminator", *trainer.discriminator());
  if (trainer.generator_ema()) write_module(archive, "generator_ema", *trainer.generator_ema());
  write_adam(archive, "optimizer_g", trainer.generator_optimizer());
  write_adam(archive, "optimizer_d", trainer.discriminator_optimizer());
  const TrainerCounters counters = trainer.counters();
  archive.write("step", torch::tensor(counters.step));
  archive.write("interval_sum", counters.interval_sum);
  archive.write("interval_steps", torch::tensor(counters.interval_steps));
  archive.write("skipped_steps", torch::tensor(counters.skipped_steps));
}

void load_trainer_state(torch::serialize::InputArchive& archive, Trainer& trainer) {
  load_networks(archive, trainer);
  read_adam(archive, "optimizer_g", trainer.generator_optimizer());
  read_adam(archive, "optimizer_d", trainer.discriminator_optimizer());
  TrainerCounters counters;
  counters.step = read_count(archive, "step");
  archive.read("interval_sum", counters.interval_sum);
  counters.interval_steps = read_count(archive, "interval_steps");
  torch::Tensor skipped;  // absent in checkpoints written before train.on_nan existed
  if (archive.try_read("skipped_steps", skipped) && skipped.numel() == 1)
    counters.skipped_steps = skipped.item<int64_t>();
  trainer.restore(counters);
}

void save_run_state(torch::serialize::OutputArchive& archive, const RunState& state,
                    const Trainer& trainer, const BatchSource& data) {
  archive.write("format", c10::IValue(kCheckpointFormat));
  archive.write("config", c10::IValue(state.config_yaml));
  save_trainer_state(archive, trainer);
  save_position(archive, data);
  archive.write("rng_cpu", state.rng.cpu);
  if (state.rng.device.defined()) archive.write("rng_device", state.rng.device);
  if (state.rng.cpu_ranks.defined()) archive.write("rng_cpu_ranks", state.rng.cpu_ranks);
  if (state.rng.device_ranks.defined()) archive.write("rng_device_ranks", state.rng.device_ranks);
  archive.write("grid_noise", state.grid_noise);
}

RunState load_run_state(torch::serialize::InputArchive& archive, Trainer& trainer,
                        BatchSource& data, Shard shard) {
  RunState state;
  c10::IValue config;
  archive.read("config", config);
  TORCH_CHECK(config.isString(), "the checkpoint's config is not text");
  state.config_yaml = config.toStringRef();
  load_trainer_state(archive, trainer);
  load_position(archive, data);
  archive.read("grid_noise", state.grid_noise);
  state.rng.cpu = rank_state(archive, "rng_cpu", shard, state.saved_world_size);
  TORCH_CHECK(state.rng.cpu.defined(), "the checkpoint has no random state (rng_cpu)");
  int64_t device_rows = 1;
  state.rng.device = rank_state(archive, "rng_device", shard, device_rows);
  return state;
}

GeneratorState load_generator_state(torch::serialize::InputArchive& archive,
                                    torch::nn::Module& generator, bool prefer_ema) {
  GeneratorState state;
  torch::serialize::InputArchive g;
  state.ema = prefer_ema && archive.try_read("generator_ema", g);
  if (!state.ema) archive.read("generator", g);
  load_parameters(generator, g);
  state.step = read_count(archive, "step");
  return state;
}

std::string read_run_config(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue config;
  if (!archive.try_read("config", config) || !config.isString())
    throw Error(path + ": checkpoint has no config");
  return config.toStringRef();
}

}  // namespace gantrain
