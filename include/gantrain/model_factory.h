#pragma once
/// Builds a task's generator and discriminator from the config (model.arch): the one place
/// where config keys become model Options, so models/ never sees Config.
#include <cstdint>
#include <string>

#include "gantrain/config.h"
#include "gantrain/models/gan_modules.h"
#include "gantrain/models/mlp.h"

namespace gantrain {

/// What a task's samples are: `features` numbers each, and for images their layout.
struct SampleShape {
  int64_t features = 0;
  int64_t channels = 0;  ///< 0: not an image (model.arch = dcgan is refused)
  int64_t side = 0;      ///< image height = width
  int64_t classes = 0;   ///< classes of the labelled data (0: unlabelled); model.conditional needs 2+
};

/// Fresh generator (initialised from the global RNG) whose samples have `shape`; an MLP's
/// output passes through `mlp_output`, a DCGAN's through tanh. Throws ConfigError naming the key
/// that does not fit the task.
Generator make_generator(const Config& config, const SampleShape& shape, MlpOutput mlp_output);

/// Fresh discriminator (logits out) for samples of `shape`.
Discriminator make_discriminator(const Config& config, const SampleShape& shape);

/// Whether the step's heavy work runs in oneDNN, whose threads follow LibTorch's count (for
/// set_compute_threads): a DCGAN's convolutions, or products in bfloat16.
bool runs_in_onednn(const Config& config);

}  // namespace gantrain
