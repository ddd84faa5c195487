#include "gantrain/trainer.h"

namespace gantrain {
namespace {

void set_requires_grad(torch::nn::Module& module, bool on) {
  for (auto& p : module.parameters()) p.requires_grad_(on);
}

// Drops the gradients rather than zeroing them: the next backward writes fresh ones with no
// zero-fill and no accumulation (numerically the same; LibTorch 2.x's default, not 1.13's).
void clear_gradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) p.mutable_grad().reset();
}

torch::optim::AdamOptions adam(double lr, const TrainerOptions& o) {
  return torch::optim::AdamOptions(lr).betas(std::make_tuple(o.beta1, o.beta2));
}

}  // namespace

TrainerOptions trainer_options(const Config& c) {
  TrainerOptions o;
  o.lr_g = c.train.lr_g;
  o.lr_d = c.train.lr_d;
  o.beta1 = c.train.beta1;
  o.beta2 = c.train.beta2;
  o.d_steps = c.train.d_steps;
  o.generator_first = c.train.order == "g-first";
  o.noise = c.model.noise;
  return o;
}

Trainer::Trainer(Mlp generator, Mlp discriminator, int64_t latent_dim, TrainerOptions options,
                 torch::Device device)
    : generator_(std::move(generator)),
      discriminator_(std::move(discriminator)),
      latent_dim_(latent_dim),
      options_(std::move(options)),
      device_(device) {
  generator_->to(device_);
  discriminator_->to(device_);
  optimizer_g_ = std::make_unique<torch::optim::Adam>(generator_->parameters(),
                                                      adam(options_.lr_g, options_));
  optimizer_d_ = std::make_unique<torch::optim::Adam>(discriminator_->parameters(),
                                                      adam(options_.lr_d, options_));
  interval_sum_ = torch::zeros({4}, torch::TensorOptions().device(device_));
}

torch::Tensor Trainer::noise(int64_t n, c10::optional<at::Generator> generator) const {
  return sample_noise(options_.noise, n, latent_dim_, device_, std::move(generator));
}

void Trainer::make_labels(int64_t n) {
  if (ones_.defined() && ones_.size(0) == n) return;
  auto options = torch::TensorOptions().device(device_);
  ones_ = torch::ones({n, 1}, options);
  real_then_fake_ = torch::cat({ones_, torch::zeros({n, 1}, options)});
}

void Trainer::discriminator_update(const torch::Tensor& real, const torch::Tensor& fake,
                                   StepStats& stats) {
  // One pass over [real; fake]: the mean BCE over 2n equals the average of the two halves'
  // means, with half the ops of two passes (the per-op cost dominates small models).
  const int64_t n = real.size(0);
  torch::Tensor logits = discriminator_->forward(torch::cat({real, fake}));
  torch::Tensor loss = torch::binary_cross_entropy_with_logits(logits, real_then_fake_);
  clear_gradients(*optimizer_d_);
  loss.backward();
  optimizer_d_->step();
  torch::Tensor mean_d = torch::sigmoid(logits.detach()).view({2, n}).mean(1);
  stats.d_loss = loss.detach();
  stats.d_real = mean_d[0];
  stats.d_fake = mean_d[1];
}

StepStats Trainer::train_step(const std::vector<torch::Tensor>& real) {
  TORCH_CHECK(static_cast<int64_t>(real.size()) == options_.d_steps, "train_step: expected ",
              options_.d_steps, " real batches, got ", real.size());
  const int64_t batch = real.front().size(0);
  for (const auto& r : real)
    TORCH_CHECK(r.size(0) == batch, "train_step: real batches differ in size (", r.size(0),
                " vs ", batch, ")");
  make_labels(batch);
  StepStats stats;
  // Non-saturating loss: maximise log D(G(z)) (Goodfellow et al. 2014, section 3). D's weights
  // are frozen for this backward pass so no gradient is computed only to be thrown away.
  auto g_update = [&] {
    torch::Tensor fake = generator_->forward(noise(batch));
    set_requires_grad(*discriminator_, false);
    torch::Tensor loss =
        torch::binary_cross_entropy_with_logits(discriminator_->forward(fake), ones_);
    clear_gradients(*optimizer_g_);
    loss.backward();
    optimizer_g_->step();
    set_requires_grad(*discriminator_, true);
    stats.g_loss = loss.detach();
    return fake.detach();
  };
  auto fresh_fake = [&] {
    torch::NoGradGuard no_grad;
    return generator_->forward(noise(batch));
  };

  if (options_.generator_first) {
    // The toy's order: the D update sees the fakes the G update was computed on.
    torch::Tensor fake = g_update();
    for (int64_t i = 0; i < options_.d_steps; ++i)
      discriminator_update(real[i], i == 0 ? fake : fresh_fake(), stats);
  } else {
    for (int64_t i = 0; i < options_.d_steps; ++i) discriminator_update(real[i], fresh_fake(), stats);
    g_update();
  }
  ++step_;
  interval_sum_ += torch::stack({stats.d_loss, stats.g_loss, stats.d_real, stats.d_fake});
  ++interval_steps_;
  return stats;
}

void Trainer::fit(BatchSource& data, int64_t total_steps, const FitHooks& hooks) {
  auto due = [&](int64_t every) { return every > 0 && step_ % every == 0; };
  std::vector<torch::Tensor> real(options_.d_steps);
  while (step_ < total_steps) {
    for (auto& batch : real) batch = data.next_batch();
    train_step(real);
    const bool last = step_ == total_steps;
    const bool stop = hooks.should_stop && hooks.should_stop();
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

void Trainer::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive g, d, opt_g, opt_d;
  generator_->save(g);
  discriminator_->save(d);
  optimizer_g_->save(opt_g);
  optimizer_d_->save(opt_d);
  archive.write("generator", g);
  archive.write("discriminator", d);
  archive.write("optimizer_g", opt_g);
  archive.write("optimizer_d", opt_d);
  archive.write("step", torch::tensor(step_));
  archive.write("interval_sum", interval_sum_);
  archive.write("interval_steps", torch::tensor(interval_steps_));
}

void Trainer::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive g, d, opt_g, opt_d;
  archive.read("generator", g);
  archive.read("discriminator", d);
  archive.read("optimizer_g", opt_g);
  archive.read("optimizer_d", opt_d);
  generator_->load(g);
  discriminator_->load(d);
  optimizer_g_->load(opt_g);
  optimizer_d_->load(opt_d);
  // LibTorch 2.x restores the saved learning rate and betas with the state (1.13 does not);
  // the config of the resumed run decides them in both.
  auto apply = [&](torch::optim::Adam& optimizer, double lr) {
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options())
          .lr(lr)
          .betas(std::make_tuple(options_.beta1, options_.beta2));
  };
  apply(*optimizer_g_, options_.lr_g);
  apply(*optimizer_d_, options_.lr_d);
  torch::Tensor step, sum, steps;
  archive.read("step", step);
  archive.read("interval_sum", sum);
  archive.read("interval_steps", steps);
  step_ = step.item<int64_t>();
  interval_sum_ = sum.to(device_);
  interval_steps_ = steps.item<int64_t>();
}

}  // namespace gantrain
