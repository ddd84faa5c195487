#pragma once
/// One training run's objects (DESIGN.md section 12): the task, its evaluator, the data, the
/// trainer, the fixed noises and the length, built in the order that fixes the run's random
/// streams, with the checkpoint's state beside resume(). No file IO: the run directory is
/// run_writer.h's.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gantrain/config.h"
#include "gantrain/data/batch_source.h"
#include "gantrain/task.h"
#include "gantrain/trainer.h"

namespace gantrain {

namespace distributed {
class ProcessGroup;
}

/// Noise [n, latent_dim] of the model's kind drawn from a generator of its own seeded with
/// `seed`, so that looking at a run never moves its random stream.
torch::Tensor fixed_noise(const ModelConfig& model, int64_t n, int64_t seed, torch::Device device);

/// The latents of an evaluation: eval.samples of them from `seed`'s own stream (fixed_noise's,
/// or truncated by eval.truncation), the classes in turn when `classes` > 0.
Latents evaluation_latents(const Config& config, int64_t classes, int64_t seed,
                           torch::Device device);

/// The loop's hyperparameters for this task: trainer_options(config) with the task's image
/// layout, which train.augment needs.
TrainerOptions task_trainer_options(const Task& task, const Config& config);

class TrainingRun {
 public:
  /// Builds the run in this order: task; the evaluator (where `measures` and eval.every > 0:
  /// before seeding, so its set-up draws nothing from the run's stream); the seed; the data
  /// (this rank's shard with a `group`); G, D and the trainer; the fixed noises (the eval
  /// noise where `measures`). Throws ConfigError where the config does not fit the task.
  TrainingRun(const Config& config, torch::Device device, distributed::ProcessGroup* group,
              bool measures);
  ~TrainingRun();

  /// Continues from a checkpoint that checkpoint() wrote (`name` says which in messages): the
  /// trainer, the data position, the grid noise and the random states. Throws Error when the
  /// checkpoint does not fit this config, ConfigError when it is not before total_steps().
  void resume(torch::serialize::InputArchive& archive, const std::string& name);
  /// Fills `archive` with what resume() needs. Every rank calls it at the same step: it gathers
  /// every rank's random state (a collective).
  void checkpoint(torch::serialize::OutputArchive& archive) const;

  /// Trains until total_steps() (or `hooks.should_stop`), calling the hooks at their intervals.
  void fit(const FitHooks& hooks);
  /// Whether training has reached total_steps().
  bool finished() const { return trainer_->step() >= total_steps_; }

  /// Samples of the sampling generator (the EMA where there is one) for `latents`.
  torch::Tensor generate(const Latents& latents);

  const Config& config() const { return config_; }
  torch::Device device() const { return device_; }
  distributed::ProcessGroup* group() const { return group_; }
  Task& task() { return *task_; }
  /// nullptr unless measures and eval.every > 0.
  Evaluator* evaluator() { return evaluator_.get(); }
  Trainer& trainer() { return *trainer_; }
  const Trainer& trainer() const { return *trainer_; }
  BatchSource& data() { return *data_; }
  /// Batches in one epoch of the data; 0 for an endless source.
  int64_t batches_per_epoch() const { return data_->batches_per_epoch(); }
  /// The steps the run trains to: train.steps, or train.epochs worth.
  int64_t total_steps() const { return total_steps_; }
  /// The step this session started from: 0, or the resumed checkpoint's.
  int64_t start_step() const { return start_step_; }
  /// The fixed latents of the sample grids: log.grid_samples of them, or for a conditional
  /// generator one row of log.grid_nrow per class.
  const Latents& grid_latents() const { return grid_; }
  /// The fixed latents of task metrics and evaluations ([eval.samples], classes in turn when
  /// conditional); empty unless measures.
  const Latents& eval_latents() const { return eval_; }

 private:
  Config config_;
  torch::Device device_;
  distributed::ProcessGroup* group_;
  Shard shard_;
  std::unique_ptr<Task> task_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<BatchSource> data_;
  std::unique_ptr<Trainer> trainer_;
  int64_t total_steps_ = 0;
  int64_t start_step_ = 0;
  Latents grid_, eval_;
};

}  // namespace gantrain
