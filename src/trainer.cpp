#include "gantrain/trainer.h"

#include <spdlog/spdlog.h>

#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/models/diff_augment.h"
#include "gantrain/torch_compat.h"

namespace gantrain {
namespace {

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.requires_grad_(on);
}

AdamHyper adam(double lr, const TrainerOptions& o) { return {lr, o.beta1, o.beta2}; }

// The statistics a data-parallel all-reduce carries beside the gradients (GradientSync): D's
// loss, outputs and R1 penalty, or G's loss and the stop vote.
constexpr int64_t kSyncedValues = 4;

// One host sync: whether the loss and the sum of every gradient are finite (a NaN/inf anywhere
// in a gradient makes their sum NaN/inf).
bool loss_and_gradients_finite(const torch::Tensor& loss, const FlatAdam& optimizer) {
  torch::Tensor gradients = optimizer.gradient_buffer().narrow(0, 0, optimizer.numel());
  return torch::isfinite(loss.detach() + gradients.sum()).item<bool>();
}

}  // namespace

TrainerOptions trainer_options(const Config& c) {
  TrainerOptions o;
  o.lr_g = c.train.lr_g;
  o.lr_d = c.train.lr_d;
  o.beta1 = c.train.beta1;
  o.beta2 = c.train.beta2;
  o.d_steps = c.train.d_steps;
  o.generator_first = c.train.order == StepOrder::kGeneratorFirst;
  o.noise = c.model.noise;
  o.skip_non_finite = c.train.on_nan == OnNan::kSkip;
  o.loss = c.train.loss;
  o.real_label = c.train.real_label;
  o.ema_decay = c.train.ema_decay;
  o.precision = c.train.precision;
  o.augment = c.train.augment;
  o.r1_gamma = c.train.r1_gamma;
  o.r1_every = c.train.r1_every;
  return o;
}

bool r1_due(const TrainerOptions& o, int64_t d_update) {
  return o.r1_gamma > 0 && d_update % o.r1_every == 0;
}

double ema_decay_at(double decay, int64_t step) {
  const auto t = static_cast<double>(step);
  return std::min(decay, (1.0 + t) / (10.0 + t));
}

Trainer::Trainer(Generator generator, Discriminator discriminator, int64_t latent_dim,
                 TrainerOptions options, torch::Device device, distributed::ProcessGroup* group,
                 Generator ema)
    : generator_(std::move(generator)),
      discriminator_(std::move(discriminator)),
      latent_dim_(latent_dim),
      options_(std::move(options)),
      device_(device) {
  if (options_.augment != Augment::kNone &&
      (options_.image_side <= 0 || options_.image_channels <= 0))
    throw ConfigError("train.augment = " + choice_name(options_.augment) +
                      " needs image samples; this task's samples are not images (set "
                      "train.augment=none)");
  TORCH_CHECK(options_.r1_every >= 1, "Trainer: r1_every must be >= 1, got ", options_.r1_every);
  generator_->to(device_);
  discriminator_->to(device_);
  loss_ = make_gan_loss(options_.loss, options_.real_label);
  if (options_.precision == Precision::kBf16) compute_dtype_ = at::kBFloat16;
  if (options_.ema_decay > 0) {
    TORCH_CHECK(ema, "Trainer: train.ema_decay needs a generator for the moving average");
    ema_ = std::move(ema);
    ema_->to(device_);
    ema_->eval();  // it is never trained: batch norm uses the running statistics copied from G
    for (auto& p : ema_->parameters()) p.requires_grad_(false);
    copy_state(*ema_, *generator_);
  }
  optimizer_g_ = std::make_unique<FlatAdam>(generator_->parameters(), adam(options_.lr_g, options_),
                                            kSyncedValues);
  optimizer_d_ = std::make_unique<FlatAdam>(discriminator_->parameters(),
                                            adam(options_.lr_d, options_), kSyncedValues);
  interval_sum_ = torch::zeros({4}, torch::TensorOptions().device(device_));
  one_ = torch::ones({}, torch::TensorOptions().device(device_));
  clean_ = torch::ones({}, torch::TensorOptions().dtype(torch::kBool).device(device_));
  clean_steps_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kLong).device(device_));
  if (group) {
    sync_ = std::make_unique<distributed::GradientSync>(
        *group, std::vector<distributed::SyncedNetwork>{
                    {"generator", optimizer_g_->params(), optimizer_g_->gradient_buffer()},
                    {"discriminator", optimizer_d_->params(), optimizer_d_->gradient_buffer()}});
    shard_ = {group->rank(), group->world_size()};
  }
}

void Trainer::apply_update(FlatAdam& optimizer, const torch::Tensor& loss) {
  // Skip mode reads the check back every update (a host sync): documented in docs/robustness.md.
  if (options_.skip_non_finite && !loss_and_gradients_finite(loss, optimizer)) {
    optimizer.zero_grad();
    step_skipped_ = true;
    return;
  }
  optimizer.step();
}

void Trainer::update_ema() {
  torch::NoGradGuard no_grad;
  const double decay = ema_decay_at(options_.ema_decay, step_);
  const std::vector<torch::Tensor> average = ema_->parameters(), current = generator_->parameters();
  for (size_t i = 0; i < average.size(); ++i) average[i].lerp_(current[i], 1.0 - decay);
  // Batch-norm running statistics are taken from G as they are: they belong to G's current
  // weights, an approximation for the averaged ones (docs/config.md); recomputing them for the
  // EMA would take extra forward passes at every sample.
  const std::vector<torch::Tensor> to = ema_->buffers(), from = generator_->buffers();
  for (size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
}

void Trainer::record_step(const StepStats& stats) {
  ++step_;
  torch::Tensor values = torch::stack({stats.d_loss, stats.g_loss, stats.d_real, stats.d_fake});
  if (options_.skip_non_finite) {
    if (step_skipped_) {
      if (skipped_steps_++ == 0)
        spdlog::warn("step {}: NaN/inf loss or gradient, update skipped (train.on_nan = skip); "
                     "later skips are counted at each progress line", step_);
      return;  // a skipped step's statistics would turn the interval's means into NaN
    }
  } else {
    // Device-side bookkeeping only: no host sync per step (see throw_if_not_finite).
    clean_.logical_and_(torch::isfinite(values).all());
    if (stats.r1_penalty.defined()) clean_.logical_and_(torch::isfinite(stats.r1_penalty));
    clean_steps_.add_(clean_);
  }
  interval_sum_ += values;
  ++interval_steps_;
}

int64_t Trainer::first_non_finite_step() const {
  if (clean_.item<bool>()) return 0;
  return checked_from_ + clean_steps_.item<int64_t>() + 1;
}

void Trainer::throw_if_not_finite() const {
  if (options_.skip_non_finite) return;
  if (int64_t bad = first_non_finite_step())
    throw Error("step " + std::to_string(bad) +
                ": the loss is NaN or infinite; stopped without checkpointing this state (the "
                "last checkpoint is kept). Lower the learning rate, or set train.on_nan=skip");
}

torch::Tensor Trainer::noise(int64_t n, c10::optional<at::Generator> generator) const {
  return sample_noise(options_.noise, n, latent_dim_, device_, std::move(generator));
}

torch::Tensor Trainer::batch_noise(int64_t n) {
  // Refilled in place, no allocation: by the time of the next draw, every graph that used the
  // previous one has run backward.
  const int64_t rows = n * shard_.world_size;
  if (!noise_.defined() || noise_.size(0) != rows)
    noise_ = torch::empty({rows, latent_dim_}, torch::TensorOptions().device(device_));
  fill_noise(options_.noise, noise_);
  return shard_.world_size == 1 ? noise_ : noise_.narrow(0, shard_.rank * n, n);
}

torch::Tensor Trainer::generate(const Batch& like) {
  compat::AutocastGuard autocast(device_, compute_dtype_);
  return generator_->forward({batch_noise(like.samples.size(0)), like.labels});
}

torch::Tensor Trainer::discriminator_logits(const torch::Tensor& samples,
                                            const torch::Tensor& labels) {
  torch::Tensor logits;
  {
    compat::AutocastGuard autocast(device_, compute_dtype_);
    logits = discriminator_->forward({samples, labels});
  }
  // Losses and statistics in float: a mean over bfloat16 keeps 8 bits.
  return compute_dtype_ == at::kFloat ? logits : logits.to(at::kFloat);
}

torch::Tensor Trainer::augment(const torch::Tensor& samples) const {
  if (options_.augment == Augment::kNone) return samples;
  return diff_augment(samples, options_.image_channels, options_.image_side, shard_);
}

void Trainer::discriminator_update(const Batch& real_batch, const torch::Tensor& fake, bool r1,
                                   StepStats& stats) {
  // One pass over [real; fake]: half the ops of two passes (the per-op cost dominates small
  // models). Not with batch norm in D: a mixed batch's statistics would give away which half is
  // fake, and G's update, which sees generated samples alone, would learn from a different D.
  // R1 differentiates D at the real images it saw this update, augmented ones included: the
  // penalty keeps D flat on the distribution it is trained to call real, which with augmentation
  // is the augmented one, and it reuses this pass instead of another forward through D.
  // (StyleGAN2-ADA differentiates through the augmentation to the clean images instead.)
  const torch::Tensor& real = real_batch.samples;
  const torch::Tensor& labels = real_batch.labels;  // the fakes were drawn for these too
  const int64_t n = real.size(0);
  torch::Tensor logits, seen;  // seen: the leaf R1 differentiates by; its first n rows are real
  if (discriminator_->mixes_batch()) {
    torch::Tensor seen_real = augment(real);
    if (r1) seen = seen_real = seen_real.detach().requires_grad_(true);
    logits = torch::cat(
        {discriminator_logits(seen_real, labels), discriminator_logits(augment(fake), labels)});
  } else {
    torch::Tensor both = augment(torch::cat({real, fake}));
    if (r1) seen = both = both.detach().requires_grad_(true);
    logits = discriminator_logits(both, labels.defined() ? torch::cat({labels, labels}) : labels);
  }
  torch::Tensor loss = loss_->joined_discriminator_loss(logits);
  torch::Tensor total = loss;
  if (r1) {
    // The summed logits' gradient is each image's own gradient, rows being independent (with
    // batch norm, D's real half shares its statistics, and they take part, as in its loss).
    // create_graph: the penalty's gradient w.r.t. D's weights goes through this gradient.
    torch::Tensor gradient = torch::autograd::grad({logits.narrow(0, 0, n).sum()}, {seen}, {},
                                                   /*retain_graph=*/true, /*create_graph=*/true)[0];
    torch::Tensor penalty =
        gradient.narrow(0, 0, n).square().sum(1).mean() * (options_.r1_gamma / 2);
    // Lazy regularisation (Karras et al. 2020, section 3.1): every r1_every-th update, scaled
    // by r1_every, so the penalty's average strength is that of one every update.
    total = loss + penalty * static_cast<double>(options_.r1_every);
    stats.r1_penalty = penalty.detach();
  }
  // One backward for loss and penalty: the penalty's gradient is in D's flat gradients before
  // the all-reduce and the step.
  total.backward(one_);  // into gradients the last step left zero
  torch::Tensor mean_d = loss_->shown_scores(logits.detach()).view({2, n}).mean(1);
  stats.d_loss = loss.detach();
  stats.d_real = mean_d[0];
  stats.d_fake = mean_d[1];
  if (sync_) {
    // The statistics ride on the gradients' all-reduce: every rank logs, and decides on, the
    // global means.
    std::vector<torch::Tensor> values = {stats.d_loss, stats.d_real, stats.d_fake};
    if (r1) values.push_back(stats.r1_penalty);
    torch::Tensor mean = sync_->average(1, torch::stack(values));
    stats.d_loss = mean[0];
    stats.d_real = mean[1];
    stats.d_fake = mean[2];
    if (r1) stats.r1_penalty = mean[3];
  }
  // The penalty joins the finite check: a NaN there must skip this update, not the next one.
  apply_update(*optimizer_d_, r1 ? stats.d_loss + stats.r1_penalty : stats.d_loss);
}

StepStats Trainer::train_step(const std::vector<Batch>& real) {
  TORCH_CHECK(static_cast<int64_t>(real.size()) == options_.d_steps, "train_step: expected ",
              options_.d_steps, " real batches, got ", real.size());
  const int64_t batch = real.front().samples.size(0);
  for (const auto& r : real)
    TORCH_CHECK(r.samples.size(0) == batch, "train_step: real batches differ in size (",
                r.samples.size(0), " vs ", batch, ")");
  StepStats stats;
  step_skipped_ = false;
  // D's weights are frozen for G's backward pass so no gradient is computed only to be thrown
  // away (and spectral norm does no power iteration there).
  // `like`: the real batch whose labels the fakes are drawn for.
  auto g_update = [&](const Batch& like) {
    torch::Tensor fake = generate(like);
    set_requires_grad(*discriminator_, false);
    // Through the augmentation: G learns from D's view of augmented fakes.
    torch::Tensor loss = loss_->generator_loss(discriminator_logits(augment(fake), like.labels));
    loss.backward(one_);
    stats.g_loss = loss.detach();
    if (sync_) {
      // This rank's stop vote rides along too (one host read per step).
      torch::Tensor vote = torch::full({}, stop_vote_ ? 1.0 : 0.0, stats.g_loss.options());
      torch::Tensor mean = sync_->average(0, torch::stack({stats.g_loss, vote}));
      stats.g_loss = mean[0];
      stop_agreed_ = mean[1].item<float>() > 0;
    }
    apply_update(*optimizer_g_, stats.g_loss);
    if (ema_) update_ema();
    set_requires_grad(*discriminator_, true);
    return fake.detach();
  };
  auto fresh_fake = [&](const Batch& like) {
    torch::NoGradGuard no_grad;
    return generate(like);
  };

  // From the step count, which checkpoints keep: a resumed run takes R1 on the same updates.
  auto r1 = [&](int64_t i) { return r1_due(options_, step_ * options_.d_steps + i); };
  if (options_.generator_first) {
    // The toy's order: the D update sees the fakes the G update was computed on.
    torch::Tensor fake = g_update(real[0]);
    for (int64_t i = 0; i < options_.d_steps; ++i)
      discriminator_update(real[i], i == 0 ? fake : fresh_fake(real[i]), r1(i), stats);
  } else {
    for (int64_t i = 0; i < options_.d_steps; ++i)
      discriminator_update(real[i], fresh_fake(real[i]), r1(i), stats);
    g_update(real.back());
  }
  record_step(stats);
  return stats;
}

void Trainer::fit(BatchSource& data, int64_t total_steps, const FitHooks& hooks) {
  auto due = [&](int64_t every) { return every > 0 && step_ % every == 0; };
  std::vector<Batch> real(options_.d_steps);
  while (step_ < total_steps) {
    for (auto& batch : real) batch = data.next_batch();
    if (sync_) stop_vote_ = hooks.should_stop && hooks.should_stop();
    train_step(real);
    const bool last = step_ == total_steps;
    const bool stop = sync_ ? stop_agreed_ : hooks.should_stop && hooks.should_stop();
    // At the points that read back anyway: never log or checkpoint a NaN state, nor a replica
    // that differs from rank 0's.
    if (due(hooks.log_every) || due(hooks.checkpoint_every) || last || stop) {
      throw_if_not_finite();
      if (sync_) sync_->check_replicas(step_);
    }
    if ((due(hooks.log_every) || last) && skipped_steps_ > skipped_at_last_log_) {
      spdlog::warn("skipped {} steps with a NaN/inf loss or gradient since the last progress line "
                   "({} in this run)", skipped_steps_ - skipped_at_last_log_, skipped_steps_);
      skipped_at_last_log_ = skipped_steps_;
    }
    if ((due(hooks.log_every) || last || stop) && hooks.on_log) {
      // The only host synchronisation of the loop.
      torch::Tensor mean = (interval_sum_ / static_cast<double>(interval_steps_)).cpu();
      auto m = mean.accessor<float, 1>();
      hooks.on_log({step_, total_steps, data.epoch(), m[0], m[1], m[2], m[3]});
      // Only scheduled rows start a new interval: a run stopped and resumed in between then
      // logs the same means at the next scheduled row as an uninterrupted run.
      if (due(hooks.log_every)) {
        interval_sum_.zero_();
        interval_steps_ = 0;
      }
    }
    if ((due(hooks.sample_every) || last) && hooks.on_sample) hooks.on_sample();
    if ((due(hooks.checkpoint_every) || last || stop) && hooks.on_checkpoint)
      hooks.on_checkpoint();
    if (stop) return;
  }
}

TrainerCounters Trainer::counters() const {
  return {step_, interval_sum_, interval_steps_, skipped_steps_};
}

void Trainer::restore(const TrainerCounters& c) {
  TORCH_CHECK(c.interval_sum.defined() && c.interval_sum.sizes() == interval_sum_.sizes() &&
                  c.interval_sum.scalar_type() == interval_sum_.scalar_type(),
              "checkpoint's step counters have unexpected shapes");
  TORCH_CHECK(c.step >= 0 && c.interval_steps >= 0 && c.skipped_steps >= 0,
              "checkpoint's step counters are negative");
  step_ = c.step;
  interval_sum_ = c.interval_sum.to(device_);
  interval_steps_ = c.interval_steps;
  skipped_steps_ = skipped_at_last_log_ = c.skipped_steps;
  checked_from_ = step_;
  clean_.fill_(true);
  clean_steps_.zero_();
}

}  // namespace gantrain
