#pragma once
/// Adam's state in a checkpoint: torch::optim::Adam's own layout ("param_groups", "state"), so a
/// checkpoint written by either LibTorch (1.13 or 2.x), or by torch::optim::Adam before FlatAdam
/// existed, resumes in both builds.
#include <torch/torch.h>

#include "gantrain/optim/flat_adam.h"

namespace gantrain {

/// Writes `optimizer`'s state as torch::optim::Adam::save does (each moment per parameter).
void save_adam(torch::serialize::OutputArchive& archive, const FlatAdam& optimizer);

/// Restores what save_adam or torch::optim::Adam::save (LibTorch 1.13 or 2.x) wrote; keeps the
/// optimizer's own hyperparameters. Throws c10::Error on a state of other shapes, or of
/// parameters at different steps.
void load_adam(torch::serialize::InputArchive& archive, FlatAdam& optimizer);

/// Restores `optimizer`'s per-parameter state (step, both moments) from an archive that
/// torch::optim::Adam::save wrote under LibTorch 1.13 or 2.x; keeps its options. Throws
/// c10::Error if the archive's parameters do not match the optimizer's in count and shape, or a
/// saved state belongs to none of them.
void load_adam_state(torch::serialize::InputArchive& archive, torch::optim::Adam& optimizer);

}  // namespace gantrain
