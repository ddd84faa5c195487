#pragma once
/// The one checkpoint schema (DESIGN.md section 11): every key of a training checkpoint is
/// written by save_run_state and read back by load_run_state (--resume), and the generator that
/// `sample` and `eval` use is read by load_generator_state, all from this file.
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

/// What load_generator_state loaded.
struct GeneratorState {
  int64_t step = 0;   ///< the step the checkpoint was saved at
  bool ema = false;   ///< the weights are the generator EMA's
};

/// Loads a checkpoint's generator weights into `generator`: the EMA's when `prefer_ema` and the
/// run kept one (train.ema_decay), else G's. Throws c10::Error where they do not match.
GeneratorState load_generator_state(torch::serialize::InputArchive& archive,
                                    torch::nn::Module& generator, bool prefer_ema);

}  // namespace gantrain
