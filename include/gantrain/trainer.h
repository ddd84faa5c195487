#pragma once
/// The GAN training loop (Goodfellow et al. 2014, Algorithm 1); no file or console IO.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gantrain/data/batch_source.h"
#include "gantrain/distributed/gradient_sync.h"
#include "gantrain/config.h"
#include "gantrain/gan_loss.h"
#include "gantrain/models/gan_modules.h"
#include "gantrain/optim/flat_adam.h"

namespace gantrain {

/// Hyperparameters of the loop.
struct TrainerOptions {
  double lr_g = 1e-3;             ///< generator Adam learning rate
  double lr_d = 1e-3;             ///< discriminator Adam learning rate
  double beta1 = 0.9;             ///< Adam beta1
  double beta2 = 0.999;           ///< Adam beta2
  int64_t d_steps = 1;            ///< discriminator updates per generator update (k)
  bool generator_first = false;   ///< g-first (even-bits toy) instead of the paper's d-first
  NoiseKind noise = NoiseKind::kGaussian;
  bool skip_non_finite = false;   ///< on_nan = skip: updates with a NaN/inf loss or gradient are not applied
  LossKind loss = LossKind::kBce;  ///< gan_loss.h
  double real_label = 1.0;        ///< D's target for real samples (bce, lsgan); < 1: label smoothing
  double ema_decay = 0.0;         ///< generator EMA decay; 0 = no EMA
  Precision precision = Precision::kFp32;  ///< bf16: forward passes under autocast to bfloat16
  Augment augment = Augment::kNone;  ///< diffaugment: every image D sees, real and fake, augmented
  /// The task's image layout, which the config does not hold: the caller sets it after
  /// trainer_options(). 0 = samples are not images (augment must then be none).
  int64_t image_channels = 0;
  int64_t image_side = 0;  ///< image height = width, pixels
  double r1_gamma = 0.0;   ///< R1 weight (Mescheder et al. 2018); 0 = off
  int64_t r1_every = 16;   ///< D updates per R1 penalty (lazy regularisation), >= 1
};

/// Whether D update `d_update` (0-based over the whole run: step * d_steps + i) takes the R1
/// penalty: r1_gamma > 0 and d_update % r1_every == 0, so the first update does.
bool r1_due(const TrainerOptions& options, int64_t d_update);

/// The EMA decay used after `step` updates: the configured one, capped by (1 + step) / (10 +
/// step) so that the average forgets its random start within the first hundred steps.
double ema_decay_at(double decay, int64_t step);

/// The loop's hyperparameters as a config sets them; image_channels and image_side stay 0.
TrainerOptions trainer_options(const Config& config);

/// One step's statistics as 0-dim tensors on the training device (reading them syncs).
struct StepStats {
  torch::Tensor d_loss;  ///< D's loss (GanLoss), last D update
  torch::Tensor g_loss;  ///< G's loss
  torch::Tensor d_real;  ///< mean D output on real samples: a probability for bce, else a score
  torch::Tensor d_fake;  ///< mean D output on generated samples, alike
  /// R1 penalty gamma/2 * E ||grad_x D(x)||^2 of the step's last D update that took it (before
  /// the r1_every scaling); undefined when none did.
  torch::Tensor r1_penalty;
};

/// Means of the statistics over one log interval.
struct LogPoint {
  int64_t step = 0;        ///< steps done, 1-based
  int64_t total_steps = 0; ///< steps the run will do
  int64_t epoch = 0;       ///< current epoch of the data source (1-based)
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0;
};

/// Callbacks fit() makes at their intervals (every N steps, 0 = at the end only).
struct FitHooks {
  int64_t log_every = 100;
  int64_t sample_every = 0;
  int64_t checkpoint_every = 0;
  std::function<void(const LogPoint&)> on_log;  ///< progress line, metrics row
  std::function<void()> on_sample;              ///< sample grid
  std::function<void()> on_checkpoint;          ///< checkpoint (after the step's log/sample)
  /// Checked after each step (in data-parallel runs: before it, and every rank's answer is
  /// combined on the step's gradient all-reduce, so that all stop after the same step); true
  /// ends fit().
  std::function<bool()> should_stop;
};

/// The trainer's counters that a checkpoint keeps beside its networks and optimizers.
struct TrainerCounters {
  int64_t step = 0;             ///< steps done
  torch::Tensor interval_sum;   ///< [4] float sums of StepStats since the last scheduled row
  int64_t interval_steps = 0;   ///< steps in those sums
  int64_t skipped_steps = 0;    ///< steps with an update skipped (train.on_nan = skip)
};

/// Owns G, D and their optimizers; one train_step per generator update.
class Trainer {
 public:
  /// With a process `group`, training is data-parallel (docs/distributed.md): `real` batches are
  /// this rank's shard, noise is drawn for the global batch and sliced alike, and gradients are
  /// averaged over the ranks before each optimizer step.
  /// `ema`, a generator of the same shape, becomes the moving average of `generator` when
  /// options.ema_decay > 0 (it starts as a copy). Throws ConfigError naming train.augment when
  /// options.augment is set and options.image_side is 0 (the samples are not images).
  Trainer(Generator generator, Discriminator discriminator, int64_t latent_dim,
          TrainerOptions options, torch::Device device, distributed::ProcessGroup* group = nullptr,
          Generator ema = nullptr);

  /// One generator update and `d_steps` discriminator updates; `real` holds d_steps batches. A
  /// conditional G draws the classes of the real batch it is compared with (so generated
  /// samples follow the data's class frequencies, with no random draw of their own).
  StepStats train_step(const std::vector<Batch>& real);

  /// Runs train_step until `total_steps` steps are done (continuing from step()).
  void fit(BatchSource& data, int64_t total_steps, const FitHooks& hooks);

  /// Steps done so far.
  int64_t step() const { return step_; }
  /// First step (1-based) whose statistics were NaN/inf, 0 if none; reads a device flag (syncs).
  int64_t first_non_finite_step() const;
  /// Steps in which at least one update was skipped for a NaN/inf loss or gradient (skip mode).
  int64_t skipped_steps() const { return skipped_steps_; }
  /// [n, latent_dim] noise of the configured kind; `generator` may be empty.
  torch::Tensor noise(int64_t n, c10::optional<at::Generator> generator = {}) const;
  Generator& generator() { return generator_; }
  const Generator& generator() const { return generator_; }
  Discriminator& discriminator() { return discriminator_; }
  const Discriminator& discriminator() const { return discriminator_; }
  /// The generator's moving average; nullptr without train.ema_decay.
  Generator& generator_ema() { return ema_; }
  const Generator& generator_ema() const { return ema_; }
  /// What samples, grids and evaluations come from: the EMA where there is one, else G.
  Generator& sampling_generator() { return ema_ ? ema_ : generator_; }
  FlatAdam& generator_optimizer() { return *optimizer_g_; }
  const FlatAdam& generator_optimizer() const { return *optimizer_g_; }
  FlatAdam& discriminator_optimizer() { return *optimizer_d_; }
  const FlatAdam& discriminator_optimizer() const { return *optimizer_d_; }
  /// The gradient all-reduce of a data-parallel run; nullptr otherwise.
  const distributed::GradientSync* gradient_sync() const { return sync_.get(); }

  /// The counters a checkpoint keeps (io/run_state.h writes them with the networks).
  TrainerCounters counters() const;
  /// Continues from `counters`, after the networks' and optimizers' state was restored (the
  /// optimizers rebound: Module::load gives the parameters storage of their own). Throws
  /// c10::Error on counters of the wrong shape.
  void restore(const TrainerCounters& counters);

 private:
  // `fake`: samples generated for real's labels. `r1`: this update adds the R1 penalty.
  void discriminator_update(const Batch& real, const torch::Tensor& fake, bool r1,
                            StepStats& stats);
  // `samples` as D sees them: augmented (train.augment), or as they are.
  torch::Tensor augment(const torch::Tensor& samples) const;
  // D's logits on `samples` (with `labels`, undefined when unconditional) as float, under the
  // run's precision.
  torch::Tensor discriminator_logits(const torch::Tensor& samples, const torch::Tensor& labels);
  // G(z) for this rank's rows of fresh noise, one per label of `like` (its size where it has
  // none), under the run's precision.
  torch::Tensor generate(const Batch& like);
  // Noise for this rank's `n` rows: the global batch's draw, sliced like the data.
  torch::Tensor batch_noise(int64_t n);
  void apply_update(FlatAdam& optimizer, const torch::Tensor& loss);
  void update_ema();
  void record_step(const StepStats& stats);
  void throw_if_not_finite() const;

  Generator generator_;
  Discriminator discriminator_;
  Generator ema_;
  int64_t latent_dim_;
  TrainerOptions options_;
  torch::Device device_;
  std::unique_ptr<FlatAdam> optimizer_g_;
  std::unique_ptr<FlatAdam> optimizer_d_;
  std::unique_ptr<GanLoss> loss_;
  at::ScalarType compute_dtype_ = at::kFloat;  // of the forward passes' matrix products
  torch::Tensor noise_;         // batch_noise's buffer
  torch::Tensor one_;           // 1: the gradient backward starts from
  torch::Tensor interval_sum_;  // [4] sums of StepStats since the last log line
  int64_t interval_steps_ = 0;
  int64_t step_ = 0;
  // Stop mode without a per-step host sync: `clean_` stays true until a step's statistics are
  // NaN/inf, and `clean_steps_` counts the steps before that, from step `checked_from_`.
  torch::Tensor clean_, clean_steps_;
  int64_t checked_from_ = 0;
  bool step_skipped_ = false;  // skip mode: an update of the current step was dropped
  int64_t skipped_steps_ = 0;
  int64_t skipped_at_last_log_ = 0;
  // Data-parallel runs only: the gradient all-reduce, this rank's stop vote for the current
  // step and what all ranks agreed.
  std::unique_ptr<distributed::GradientSync> sync_;
  Shard shard_;
  bool stop_vote_ = false;
  bool stop_agreed_ = false;
};

}  // namespace gantrain
