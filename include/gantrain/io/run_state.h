#pragma once
/// The one checkpoint schema (DESIGN.md section 12): every key of a training checkpoint is
/// written and read in this file. The trainer, its optimizers and the data source hand over
/// their state as values (TrainerCounters, AdamState, BatchPosition) and know no key.
///
/// The keys: "format" (the version every gantrain archive carries, io/checkpoint.h); "config"
/// (the resolved YAML); "generator", "discriminator" and, with train.ema_decay, "generator_ema"
/// (each module's parameters and buffers under their registered names); "optimizer_g",
/// "optimizer_d" (torch::optim::Adam's layout, io/adam_archive.h); "step", "interval_sum",
/// "interval_steps", "skipped_steps" (TrainerCounters); "data" with "epoch", "position" and
/// "order" (BatchPosition; empty for a source without one); "rng_cpu", "rng_device" and, in a
/// data-parallel run, "rng_cpu_ranks", "rng_device_ranks" (RandomStates); "grid_noise".
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "gantrain/data/batch_source.h"
#include "gantrain/trainer.h"

namespace gantrain {

/// A run's random generator states: this process's, and in a data-parallel run every rank's.
struct RandomStates {
  torch::Tensor cpu;           ///< the CPU generator's (in a file: rank 0's)
  torch::Tensor device;        ///< the GPU generator's; undefined on the CPU
  torch::Tensor cpu_ranks;     ///< every rank's CPU state, [ranks, bytes]; undefined in one process
  torch::Tensor device_ranks;  ///< every rank's GPU state; undefined unless both apply
};

/// What a checkpoint holds beside the trainer's state (models, optimizers, counters) and the
/// data source's position.
struct RunState {
  std::string config_yaml;      ///< the resolved config the run was trained with
  torch::Tensor grid_noise;     ///< the fixed noise of the sample grids
  RandomStates rng;
  int64_t saved_world_size = 1;  ///< load_run_state: ranks that wrote the checkpoint
};

/// Writes the format version, `state`, the trainer's state and the data position.
void save_run_state(torch::serialize::OutputArchive& archive, const RunState& state,
                    const Trainer& trainer, const BatchSource& data);

/// Reads what save_run_state wrote into `trainer` and `data` and returns the rest. `rng.cpu` and
/// `rng.device` are the states of rank `shard.rank`: its own row where the checkpoint holds one
/// per rank of this world size, else rank 0's (the ranks draw one stream in lockstep, so it
/// serves any world size). Throws c10::Error where a part does not match.
RunState load_run_state(torch::serialize::InputArchive& archive, Trainer& trainer,
                        BatchSource& data, Shard shard);

/// The trainer's part of a checkpoint: its networks, optimizers and counters (save_run_state
/// writes it with the rest).
void save_trainer_state(torch::serialize::OutputArchive& archive, const Trainer& trainer);

/// Restores what save_trainer_state wrote; throws c10::Error where a part does not match.
void load_trainer_state(torch::serialize::InputArchive& archive, Trainer& trainer);

/// What load_generator_state loaded.
struct GeneratorState {
  int64_t step = 0;   ///< the step the checkpoint was saved at
  bool ema = false;   ///< the weights are the generator EMA's
};

/// Loads a checkpoint's generator weights into `generator`: the EMA's when `prefer_ema` and the
/// run kept one (train.ema_decay), else G's. Throws c10::Error where they do not match.
GeneratorState load_generator_state(torch::serialize::InputArchive& archive,
                                    torch::nn::Module& generator, bool prefer_ema);

/// The resolved config a checkpoint holds; throws gantrain::Error naming `path` if it has none.
std::string read_run_config(torch::serialize::InputArchive& archive, const std::string& path);

}  // namespace gantrain
