#include <cmath>
#include <sstream>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/io/adam_archive.h"
#include "gantrain/io/run_state.h"
#include "gantrain/model_factory.h"
#include "gantrain/task.h"
#include "gantrain/torch_compat.h"
#include "gantrain/trainer.h"
#include "expect_throw.h"
#include "support.h"

using namespace gantrain;

namespace {

constexpr SampleShape kMnistShape{784, 1, 28};

struct ToyRun {
  std::unique_ptr<Task> task;
  std::unique_ptr<BatchSource> data;
  std::unique_ptr<Trainer> trainer;
};

// `with_data` false: no data source (the MNIST task would read files); feed train_step yourself.
ToyRun make_run(const Config& c, bool with_data = true) {
  ToyRun r;
  r.task = find_task(c.task).create(c);
  if (with_data) r.data = r.task->make_data(torch::kCPU, {});
  Networks n = make_networks(*r.task, c);
  r.trainer = std::make_unique<Trainer>(n.generator, n.discriminator, c.model.latent_dim,
                                        trainer_options(c), torch::kCPU, nullptr, n.ema);
  return r;
}

std::vector<double> run_steps(ToyRun& r, int64_t n, int64_t d_steps) {
  std::vector<double> losses;
  std::vector<torch::Tensor> real(d_steps);
  for (int64_t i = 0; i < n; ++i) {
    for (auto& b : real) b = r.data->next_batch();
    StepStats s = r.trainer->train_step(real);
    losses.push_back(s.d_loss.item<double>());
    losses.push_back(s.g_loss.item<double>());
  }
  return losses;
}

// A run of `c` continued from `from`'s checkpoint, as --resume does: a fresh run on another random
// stream, then the trainer's state and the RNG state read back through a serialized archive.
ToyRun resume_run(const Config& c, ToyRun& from) {
  std::stringstream buffer;
  {
    torch::serialize::OutputArchive archive;
    save_trainer_state(archive, *from.trainer);
    archive.write("rng", generator_state(default_generator(torch::kCPU)));
    archive.save_to(buffer);
  }
  torch::manual_seed(12345);  // a different stream, which the load must override
  ToyRun resumed = make_run(c, from.data != nullptr);
  torch::serialize::InputArchive archive;
  archive.load_from(buffer);
  load_trainer_state(archive, *resumed.trainer);
  torch::Tensor rng;
  archive.read("rng", rng);
  set_generator_state(default_generator(torch::kCPU), rng);
  return resumed;  // even-bits data is drawn from that stream: it has no state of its own
}

// The MNIST MLP with hidden layers of 16, on `device`.
Trainer small_mnist_trainer(torch::Device device) {
  Config c = default_config("mnist");
  c.model.g_hidden = {16};
  c.model.d_hidden = {16};
  return Trainer(make_generator(c, kMnistShape, MlpOutput::kTanh), make_discriminator(c, kMnistShape),
                 c.model.latent_dim, trainer_options(c), device);
}

// Loads into `trainer` what `source`'s trainer saves, through a serialized archive.
void copy_trainer_state(Trainer& trainer, ToyRun& source) {
  std::stringstream buffer;
  torch::serialize::OutputArchive out;
  save_trainer_state(out, *source.trainer);
  out.save_to(buffer);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  load_trainer_state(in, trainer);
}

class TrainerTest : public testing_support::SeedingFixture {};

}  // namespace

TEST_F(TrainerTest, StepChangesBothNetworksAndGivesFiniteStats) {
  ToyRun r = make_run(default_config("even-bits"));
  torch::Tensor g_before = r.trainer->generator()->parameters()[0].clone();
  torch::Tensor d_before = r.trainer->discriminator()->parameters()[0].clone();
  StepStats s = r.trainer->train_step({r.data->next_batch()});
  EXPECT_FALSE(g_before.equal(r.trainer->generator()->parameters()[0]));
  EXPECT_FALSE(d_before.equal(r.trainer->discriminator()->parameters()[0]));
  for (const torch::Tensor& t : {s.d_loss, s.g_loss, s.d_real, s.d_fake})
    EXPECT_TRUE(std::isfinite(t.item<double>()));
  EXPECT_GT(s.d_real.item<double>(), 0.0);
  EXPECT_LT(s.d_real.item<double>(), 1.0);
  EXPECT_EQ(r.trainer->step(), 1);
}

// bf16 runs the forward passes' products in bfloat16 and keeps the weights, gradients and Adam
// in float; the first step lands near the float run's, and the precision ends with the step.
TEST_F(TrainerTest, Bf16PrecisionTrainsFloatWeightsCloseToFp32) {
  std::vector<torch::Tensor> after;
  std::vector<double> g_losses;
  for (const Precision precision : {Precision::kFp32, Precision::kBf16}) {
    torch::manual_seed(3);
    Config c = default_config("mnist");
    c.model.g_hidden = {64};
    c.model.d_hidden = {64};
    c.model.dropout = 0;
    c.train.precision = precision;
    Trainer trainer(make_generator(c, kMnistShape, MlpOutput::kTanh), make_discriminator(c, kMnistShape),
                    c.model.latent_dim, trainer_options(c), torch::kCPU);
    StepStats s = trainer.train_step({torch::rand({32, 784}) * 2 - 1});
    EXPECT_EQ(s.g_loss.scalar_type(), torch::kFloat) << choice_name(precision);
    g_losses.push_back(s.g_loss.item<double>());
    for (const auto& p : trainer.generator()->parameters()) EXPECT_EQ(p.scalar_type(), torch::kFloat);
    after.push_back(trainer.generator()->parameters()[0].clone());
    // Outside the step, products are float again.
    EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), torch::kFloat);
  }
  // The same function in both: the losses agree to bfloat16's precision...
  EXPECT_NEAR(g_losses[0], g_losses[1], 0.02 * std::abs(g_losses[0]));
  // ...and Adam's first step moves each weight by lr * g / (|g| + eps), at most lr either way,
  // so the runs can differ by 2 lr at most; both started from the same weights.
  const double apart = (after[0] - after[1]).abs().max().item<double>();
  EXPECT_GT(apart, 0.0);  // the products really ran in bfloat16
  EXPECT_LE(apart, 2 * 2e-4 + 1e-7);
}

TEST_F(TrainerTest, PaperOrderWithSeveralDiscriminatorSteps) {
  Config c = default_config("even-bits");
  c.train.order = StepOrder::kDiscriminatorFirst;
  c.train.d_steps = 3;
  c.model.noise = NoiseKind::kGaussian;
  c.model.g_hidden = {8};
  c.model.d_hidden = {8};
  c.model.dropout = 0.3;
  ToyRun r = make_run(c);
  std::vector<double> losses = run_steps(r, 5, 3);
  for (double l : losses) EXPECT_TRUE(std::isfinite(l));
  EXPECT_THROW(r.trainer->train_step({r.data->next_batch()}), c10::Error);  // needs 3 batches
}

// Save after 20 steps, load into fresh objects, continue: the same losses as 40 steps in one go
// (optimizer moments, step counts and the RNG stream all restored).
TEST_F(TrainerTest, ResumeEqualsUninterruptedRun) {
  Config c = default_config("even-bits");
  ToyRun straight = make_run(c);
  std::vector<double> expected = run_steps(straight, 40, 1);

  torch::manual_seed(0);
  ToyRun first = make_run(c);
  std::vector<double> got = run_steps(first, 20, 1);
  ToyRun second = resume_run(c, first);
  EXPECT_EQ(second.trainer->step(), 20);
  std::vector<double> rest = run_steps(second, 20, 1);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, expected);
}

TEST_F(TrainerTest, CheckpointRoundTripRestoresOptimizerState) {
  ToyRun a = make_run(default_config("even-bits"));
  run_steps(a, 3, 1);
  ToyRun b = make_run(default_config("even-bits"));
  copy_trainer_state(*b.trainer, a);
  auto pa = a.trainer->generator()->parameters(), pb = b.trainer->generator()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].equal(pb[i]));
  // Same input, same update: only true if Adam's moments and step count came back.
  torch::Tensor batch = a.data->next_batch();
  torch::manual_seed(7);
  StepStats sa = a.trainer->train_step({batch});
  torch::manual_seed(7);
  StepStats sb = b.trainer->train_step({batch});
  EXPECT_EQ(sa.g_loss.item<double>(), sb.g_loss.item<double>());
  EXPECT_TRUE(a.trainer->generator()->parameters()[0].equal(b.trainer->generator()->parameters()[0]));
}

TEST_F(TrainerTest, LoadTakesHyperparametersFromTheNewConfig) {
  ToyRun a = make_run(default_config("even-bits"));
  run_steps(a, 2, 1);
  Config changed = default_config("even-bits");
  changed.train.lr_g = 5e-4;
  changed.train.beta1 = 0.5;
  ToyRun b = make_run(changed);
  copy_trainer_state(*b.trainer, a);
  for (auto* optimizer : {&b.trainer->generator_optimizer(), &b.trainer->discriminator_optimizer()})
    EXPECT_DOUBLE_EQ(optimizer->hyper().beta1, 0.5);
  EXPECT_DOUBLE_EQ(b.trainer->generator_optimizer().hyper().lr, 5e-4);
  EXPECT_EQ(b.trainer->generator_optimizer().steps(), 2);
}

// The real thing: both Adam states of the even-bits runs that the LibTorch 1.13 and 2.11 builds
// wrote with torch::optim::Adam (tests/fixtures) come back whole into FlatAdam, whichever
// LibTorch this build has.
TEST_F(TrainerTest, AdamStateOfEitherLibTorchsCheckpointComesBack) {
  for (const char* version : {"1.13", "2.11"}) {
    torch::serialize::InputArchive checkpoint;
    checkpoint.load_from(std::string(GANTRAIN_SOURCE_DIR) + "/tests/fixtures/libtorch-" + version +
                         "/even-bits/checkpoints/latest.pt");
    ToyRun run = make_run(default_config("even-bits"));
    for (const std::string name : {"optimizer_g", "optimizer_d"}) {
      FlatAdam& optimizer = name == "optimizer_g" ? run.trainer->generator_optimizer()
                                                  : run.trainer->discriminator_optimizer();
      torch::serialize::InputArchive archive;
      checkpoint.read(name, archive);
      load_adam(archive, optimizer);
      EXPECT_EQ(optimizer.steps(), 200) << version << " " << name;  // the runs stopped at step 200
      // Every parameter's second moment came back (each is positive after 200 updates).
      for (size_t i = 0; i < optimizer.params().size(); ++i)
        EXPECT_GT(optimizer.exp_avg_sq(i).min().item<double>(), 0) << version << " " << name << i;
    }
  }
}

// A checkpoint written on a GPU samples and evaluates on a CPU machine.
TEST_F(TrainerTest, GpuCheckpointLoadsOnCpu_CUDA) {
  torch::Device gpu(torch::kCUDA, 0);
  Trainer on_gpu = small_mnist_trainer(gpu);
  on_gpu.train_step({torch::rand({8, 784}, gpu) * 2 - 1});
  torch::serialize::OutputArchive out;
  save_trainer_state(out, on_gpu);
  std::stringstream buffer;
  out.save_to(buffer);
  torch::serialize::InputArchive in;
  in.load_from(buffer, torch::kCPU);
  Trainer on_cpu = small_mnist_trainer(torch::kCPU);
  load_trainer_state(in, on_cpu);
  EXPECT_EQ(on_cpu.step(), 1);
  auto a = on_gpu.generator()->parameters(), b = on_cpu.generator()->parameters();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].cpu().equal(b[i]));
  EXPECT_TRUE(std::isfinite(on_cpu.train_step({torch::rand({8, 784}) * 2 - 1}).g_loss.item<double>()));
}

TEST_F(TrainerTest, TrainStepOnGpu_CUDA) {
  torch::Device gpu(torch::kCUDA, 0);
  Trainer trainer = small_mnist_trainer(gpu);
  StepStats s = trainer.train_step({torch::rand({8, 784}, gpu) * 2 - 1});
  EXPECT_TRUE(s.d_loss.is_cuda());
  EXPECT_TRUE(std::isfinite(s.g_loss.item<double>()));
}

namespace {

// Even-bits batches, except one step whose real batch is NaN (a broken data source or a
// diverged model gives the same: a loss that is not finite).
class NanAtStep : public BatchSource {
 public:
  NanAtStep(std::unique_ptr<BatchSource> inner, int64_t bad_step)
      : inner_(std::move(inner)), bad_step_(bad_step) {}
  torch::Tensor next_batch() override {
    torch::Tensor batch = inner_->next_batch();
    return ++served_ == bad_step_ ? torch::full_like(batch, NAN) : batch;
  }
  int64_t epoch() const override { return 1; }
  int64_t batches_per_epoch() const override { return 0; }

 private:
  std::unique_ptr<BatchSource> inner_;
  int64_t bad_step_, served_ = 0;
};

}  // namespace

TEST_F(TrainerTest, NanStopsTheRunWithoutCheckpointingTheBrokenState) {
  Config c = default_config("even-bits");
  ASSERT_EQ(c.train.on_nan, OnNan::kStop);  // the default
  ToyRun r = make_run(c);
  NanAtStep data(std::move(r.data), 7);
  std::vector<int64_t> checkpoints, logged;
  FitHooks hooks;
  hooks.log_every = 5;
  hooks.checkpoint_every = 2;
  hooks.on_log = [&](const LogPoint& p) {
    logged.push_back(p.step);
    EXPECT_TRUE(std::isfinite(p.d_loss) && std::isfinite(p.g_loss));
  };
  hooks.on_checkpoint = [&] { checkpoints.push_back(r.trainer->step()); };
  EXPECT_THROW_MSG(r.trainer->fit(data, 20, hooks), Error,
                   "step 7: the loss is NaN or infinite; stopped without checkpointing");
  // Found at the first read-back after step 7 (the checkpoint due at step 8), not later.
  EXPECT_EQ(r.trainer->step(), 8);
  EXPECT_EQ(checkpoints, (std::vector<int64_t>{2, 4, 6}));
  EXPECT_EQ(logged, (std::vector<int64_t>{5}));
  EXPECT_EQ(r.trainer->first_non_finite_step(), 7);
}

TEST_F(TrainerTest, NanSkipModeDropsTheBadUpdatesAndCountsThem) {
  Config c = default_config("even-bits");
  c.train.on_nan = OnNan::kSkip;
  ToyRun r = make_run(c);
  run_steps(r, 3, 1);
  torch::Tensor d_before = r.trainer->discriminator()->parameters()[0].clone();
  torch::Tensor g_before = r.trainer->generator()->parameters()[0].clone();
  r.trainer->train_step({torch::full({16, 7}, NAN)});
  // D's loss saw the NaN batch: its update was dropped. G's loss never sees real data.
  EXPECT_TRUE(d_before.equal(r.trainer->discriminator()->parameters()[0]));
  EXPECT_FALSE(g_before.equal(r.trainer->generator()->parameters()[0]));
  EXPECT_EQ(r.trainer->skipped_steps(), 1);
  for (double loss : run_steps(r, 3, 1)) EXPECT_TRUE(std::isfinite(loss));
  EXPECT_EQ(r.trainer->skipped_steps(), 1);

  // fit() keeps going, and the skipped step's NaN does not reach the logged means.
  NanAtStep data(std::move(r.data), 2);
  FitHooks hooks;
  hooks.log_every = 4;
  std::vector<LogPoint> logged;
  hooks.on_log = [&](const LogPoint& p) { logged.push_back(p); };
  r.trainer->fit(data, 12, hooks);
  EXPECT_EQ(r.trainer->step(), 12);
  EXPECT_EQ(r.trainer->skipped_steps(), 2);
  ASSERT_EQ(logged.size(), 2u);
  for (const auto& p : logged) EXPECT_TRUE(std::isfinite(p.d_loss)) << "step " << p.step;

  // The count survives a checkpoint.
  ToyRun resumed = make_run(c);
  copy_trainer_state(*resumed.trainer, r);
  EXPECT_EQ(resumed.trainer->skipped_steps(), 2);
}

namespace {

// Losses of steps [from, to) of an MNIST-shaped run fed with fixed random images (no data
// files needed); step i's real batch depends on i alone.
std::vector<double> image_steps(Trainer& trainer, int64_t from, int64_t to) {
  std::vector<double> out;
  for (int64_t i = from; i < to; ++i) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(100 + i));
    StepStats s = trainer.train_step({at::rand({8, 784}, g, torch::TensorOptions()) * 2 - 1});
    out.insert(out.end(), {s.d_loss.item<double>(), s.g_loss.item<double>(),
                           s.d_real.item<double>(), s.d_fake.item<double>()});
  }
  return out;
}

std::vector<torch::Tensor> state_of(torch::nn::Module& m) {
  std::vector<torch::Tensor> out = m.parameters();
  for (const auto& b : m.buffers()) out.push_back(b);
  return out;
}

void expect_same_state(torch::nn::Module& a, torch::nn::Module& b) {
  auto sa = state_of(a), sb = state_of(b);
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_TRUE(torch::equal(sa[i], sb[i])) << i;
}

Config small_image_config() {
  Config c = default_config("mnist");
  c.model.g_hidden = {16};
  c.model.d_hidden = {16};
  c.model.g_channels = {8, 4};
  c.model.d_channels = {4, 8};
  return c;
}

// Each training method alone, and two combinations with the DCGAN.
std::vector<std::pair<std::string, std::function<void(Config&)>>> training_methods() {
  return {
      {"ema", [](Config& c) { c.train.ema_decay = 0.9; }},
      {"label smoothing", [](Config& c) { c.train.real_label = 0.9; }},
      {"hinge", [](Config& c) { c.train.loss = LossKind::kHinge; }},
      {"lsgan", [](Config& c) { c.train.loss = LossKind::kLsgan; }},
      {"spectral norm", [](Config& c) { c.model.spectral_norm = true; }},
      {"dcgan + ema", [](Config& c) { c.model.arch = ModelArch::kDcgan; c.train.ema_decay = 0.9; }},
      {"dcgan + spectral norm + hinge",
       [](Config& c) { c.model.arch = ModelArch::kDcgan; c.model.spectral_norm = true; c.train.loss = LossKind::kHinge; }},
  };
}

}  // namespace

// Every training method resumes bit for bit: models, spectral-norm vectors, batch-norm
// statistics, the EMA, both optimizers and the random stream come back.
TEST_F(TrainerTest, EveryMethodResumesExactly) {
  for (const auto& [name, set] : training_methods()) {
    SCOPED_TRACE(name);
    Config c = small_image_config();
    set(c);
    torch::manual_seed(0);
    ToyRun straight = make_run(c, false);
    std::vector<double> expected = image_steps(*straight.trainer, 0, 6);

    torch::manual_seed(0);
    ToyRun first = make_run(c, false);
    std::vector<double> got = image_steps(*first.trainer, 0, 3);
    ToyRun second = resume_run(c, first);
    std::vector<double> rest = image_steps(*second.trainer, 3, 6);
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(got, expected);
    expect_same_state(*second.trainer->generator(), *straight.trainer->generator());
    expect_same_state(*second.trainer->discriminator(), *straight.trainer->discriminator());
    if (c.train.ema_decay > 0)
      expect_same_state(*second.trainer->generator_ema(), *straight.trainer->generator_ema());
  }
}

// The NaN guard sees a non-finite loss under every method (stop mode's device-side flag).
TEST_F(TrainerTest, TheNanGuardCoversEveryMethod) {
  for (const auto& [name, set] : training_methods()) {
    SCOPED_TRACE(name);
    Config c = small_image_config();
    set(c);
    ToyRun r = make_run(c, false);
    image_steps(*r.trainer, 0, 2);
    EXPECT_EQ(r.trainer->first_non_finite_step(), 0);
    r.trainer->train_step({torch::full({8, 784}, NAN)});
    EXPECT_EQ(r.trainer->first_non_finite_step(), 3);
  }
}

TEST_F(TrainerTest, EmaIsTheWarmedUpMovingAverageOfG) {
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 0), 0.1);       // (1 + 0) / (10 + 0)
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 90), 0.91);     // (1 + 90) / (10 + 90)
  EXPECT_DOUBLE_EQ(ema_decay_at(0.999, 100000), 0.999);
  Config c = small_image_config();
  c.train.ema_decay = 0.5;
  ToyRun r = make_run(c, false);
  Trainer& t = *r.trainer;
  expect_same_state(*t.generator_ema(), *t.generator());  // starts as G
  EXPECT_EQ(t.sampling_generator().get(), t.generator_ema().get());
  image_steps(t, 0, 2);
  // The third update, from the average after two: e3 = d e2 + (1 - d) g3 with d = min(0.5, 3/12).
  std::vector<torch::Tensor> e2;
  for (const auto& p : t.generator_ema()->parameters()) e2.push_back(p.clone());
  image_steps(t, 2, 3);
  const double d = ema_decay_at(0.5, 2);
  EXPECT_DOUBLE_EQ(d, 0.25);
  auto ema = t.generator_ema()->parameters(), g = t.generator()->parameters();
  for (size_t i = 0; i < ema.size(); ++i) {
    EXPECT_TRUE(torch::allclose(ema[i], d * e2[i] + (1 - d) * g[i], 1e-6, 1e-7)) << i;
    EXPECT_FALSE(torch::equal(ema[i], g[i]));
    EXPECT_FALSE(ema[i].requires_grad());
  }
  // Without EMA, samples come from G.
  ToyRun plain = make_run(small_image_config(), false);
  EXPECT_EQ(plain.trainer->generator_ema(), nullptr);
  EXPECT_EQ(plain.trainer->sampling_generator().get(), plain.trainer->generator().get());
}

// With EMA the raw G follows exactly the run without it: the EMA's module is built off-stream.
TEST_F(TrainerTest, EmaLeavesGsTrainingUnchanged) {
  Config c = small_image_config();
  torch::manual_seed(0);
  ToyRun plain = make_run(c, false);
  std::vector<double> expected = image_steps(*plain.trainer, 0, 3);
  c.train.ema_decay = 0.99;
  torch::manual_seed(0);
  ToyRun with_ema = make_run(c, false);
  EXPECT_EQ(image_steps(*with_ema.trainer, 0, 3), expected);
}
