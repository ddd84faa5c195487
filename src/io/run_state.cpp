#include "gantrain/io/run_state.h"

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

}  // namespace

void save_run_state(torch::serialize::OutputArchive& archive, const RunState& state,
                    const Trainer& trainer, const BatchSource& data) {
  torch::serialize::OutputArchive data_state;
  archive.write("format", c10::IValue(kCheckpointFormat));
  archive.write("config", c10::IValue(state.config_yaml));
  trainer.save(archive);
  data.save(data_state);
  archive.write("data", data_state);
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
  trainer.load(archive);
  torch::serialize::InputArchive data_state;
  archive.read("data", data_state);
  data.load(data_state);
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
  torch::Tensor step;
  archive.read("step", step);
  TORCH_CHECK(step.numel() == 1, "the checkpoint's step is not one number");
  state.step = step.item<int64_t>();
  return state;
}

}  // namespace gantrain
