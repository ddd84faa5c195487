#pragma once
/// A checkpoint's generator, rebuilt from the config stored in it: what `sample`, `eval` and
/// `export` work from.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gantrain/config.h"
#include "gantrain/models/gan_modules.h"
#include "gantrain/task.h"

namespace gantrain {

struct TrainedGenerator {
  std::string path;  ///< the checkpoint file
  Config config;     ///< the run's, as the checkpoint stores it
  std::unique_ptr<Task> task;
  Generator generator;  ///< on the requested device, in training mode
  int64_t step = 0;
  bool ema = false;  ///< the weights are the generator EMA's
};

/// The newest valid checkpoint of a run directory (or the file named): its generator EMA where
/// it has one and `raw` is false, else G. Throws Error naming the file when it does not load.
TrainedGenerator load_trained_generator(const std::string& path_or_run_dir, torch::Device device,
                                        bool raw);

}  // namespace gantrain
