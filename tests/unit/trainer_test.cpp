#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/adam_archive.h"
#include "gantrain/io/run_state.h"
#include "gantrain/model_factory.h"
#include "gantrain/models/diff_augment.h"
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
  TrainerOptions options = trainer_options(c);
  if (c.task == "mnist") {  // the task's image layout, as the run wiring passes it
    options.image_channels = kMnistShape.channels;
    options.image_side = kMnistShape.side;
  }
  r.trainer = std::make_unique<Trainer>(n.generator, n.discriminator, c.model.latent_dim, options,
                                        torch::kCPU, nullptr, n.ema);
  return r;
}

std::vector<double> run_steps(ToyRun& r, int64_t n, int64_t d_steps) {
  std::vector<double> losses;
  std::vector<Batch> real(d_steps);
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
  Batch batch = a.data->next_batch();
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
  Batch next_batch() override {
    torch::Tensor batch = inner_->next_batch().samples;
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
      // R1 every other step: the resumed half of a test takes it at step 4 only if the schedule
      // follows the restored step count.
      {"dcgan + diffaugment + r1",
       [](Config& c) {
         c.model.arch = ModelArch::kDcgan;
         c.train.augment = Augment::kDiffAugment;
         c.train.r1_gamma = 10;
         c.train.r1_every = 2;
       }},
      {"diffaugment + r1 + ema + spectral norm",
       [](Config& c) {
         c.train.augment = Augment::kDiffAugment;
         c.train.r1_gamma = 1;
         c.train.r1_every = 2;
         c.train.ema_decay = 0.9;
         c.model.spectral_norm = true;
       }},
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

// ---- DiffAugment and R1 ----

namespace {

// A generator and a linear D (no hidden layer: D(x) = w.x + b, so grad_x D(x) = w for every x)
// on `features` numbers.
Trainer linear_d_trainer(Config c, int64_t features) {
  c.model.g_hidden = {8};
  c.model.d_hidden = {};
  c.model.dropout = 0;
  c.model.spectral_norm = false;
  const SampleShape shape{features, 0, 0};
  return Trainer(make_generator(c, shape, MlpOutput::kTanh), make_discriminator(c, shape),
                 c.model.latent_dim, trainer_options(c), torch::kCPU);
}

bool same_parameters(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

// A linear D that keeps a copy of every batch it is shown.
class RecordingDiscriminatorImpl : public DiscriminatorImpl {
 public:
  explicit RecordingDiscriminatorImpl(int64_t features)
      : linear_(register_module("fc0", torch::nn::Linear(features, 1))) {}
  torch::Tensor forward(const Batch& batch) override {
    seen.push_back(batch.samples.detach().clone());
    return linear_->forward(batch.samples);
  }
  std::vector<torch::Tensor> seen;

 private:
  torch::nn::Linear linear_;
};

}  // namespace

TEST_F(TrainerTest, R1DisabledByDefaultAndDueOnEveryNthDiscriminatorUpdate) {
  TrainerOptions o = trainer_options(default_config("even-bits"));
  EXPECT_EQ(o.r1_gamma, 0.0);
  EXPECT_EQ(o.augment, Augment::kNone);
  EXPECT_EQ(o.image_side, 0);
  EXPECT_FALSE(r1_due(o, 0));
  o.r1_gamma = 1;
  o.r1_every = 4;
  for (int64_t update = 0; update < 12; ++update)
    EXPECT_EQ(r1_due(o, update), update % 4 == 0) << update;
}

// For a linear D the penalty is gamma/2 |w|^2 (the logits' gradient is w), and it adds
// r1_every * gamma * w to the weight's gradient and nothing to the bias's; with every loss.
TEST_F(TrainerTest, R1PenaltyOfALinearDiscriminatorMatchesTheHandComputation) {
  for (LossKind loss : {LossKind::kBce, LossKind::kHinge, LossKind::kLsgan}) {
    SCOPED_TRACE(choice_name(loss));
    const double gamma = 4;
    const int64_t every = 3;
    Config c = default_config("even-bits");
    c.train.loss = loss;
    c.train.r1_every = every;
    torch::manual_seed(5);
    Trainer plain = linear_d_trainer(c, 6);
    c.train.r1_gamma = gamma;
    torch::manual_seed(5);
    Trainer regularised = linear_d_trainer(c, 6);
    torch::Tensor w = regularised.discriminator()->parameters()[0].clone();  // [1, 6]
    ASSERT_TRUE(w.equal(plain.discriminator()->parameters()[0]));

    torch::Tensor real = torch::rand({16, 6});
    torch::manual_seed(9);
    StepStats a = plain.train_step({real});
    torch::manual_seed(9);
    StepStats b = regularised.train_step({real});
    EXPECT_FALSE(a.r1_penalty.defined());
    ASSERT_TRUE(b.r1_penalty.defined());
    EXPECT_NEAR(b.r1_penalty.item<double>(), gamma / 2 * w.square().sum().item<double>(), 1e-6);
    EXPECT_EQ(a.d_loss.item<double>(), b.d_loss.item<double>());  // d_loss is the GAN loss alone
    EXPECT_FALSE(same_parameters(*plain.discriminator(), *regularised.discriminator()));

    // After one update, Adam's first moment is (1 - beta1) g: the difference is the penalty's.
    const FlatAdam& pa = plain.discriminator_optimizer();
    const FlatAdam& pb = regularised.discriminator_optimizer();
    const double kept = 1 - pb.hyper().beta1;
    torch::Tensor weight_extra = (pb.exp_avg(0) - pa.exp_avg(0)) / kept;
    EXPECT_TRUE(torch::allclose(weight_extra, every * gamma * w, 1e-4, 1e-5))
        << weight_extra << "\n" << every * gamma * w;
    EXPECT_TRUE(torch::allclose(pb.exp_avg(1), pa.exp_avg(1), 1e-6, 1e-8));
  }
}

// With d_steps = 2 and r1_every = 3, step k holds D updates 2k and 2k + 1, and R1 falls on
// updates 0, 3, 6, 9: steps 0, 1, 3 and 4. A run without R1, reset to the same state before
// each step, makes the same update exactly on the other steps.
TEST_F(TrainerTest, R1FollowsTheLazyScheduleAndChangesOnlyThoseUpdates) {
  Config c = small_image_config();
  c.train.d_steps = 2;
  c.train.r1_gamma = 10;
  c.train.r1_every = 3;
  ToyRun regularised = make_run(c, false);
  Config without = c;
  without.train.r1_gamma = 0;
  ToyRun shadow = make_run(without, false);
  std::vector<int64_t> penalised, changed;
  for (int64_t step = 0; step < 6; ++step) {
    copy_trainer_state(*shadow.trainer, regularised);
    std::vector<Batch> real = {torch::rand({8, 784}) * 2 - 1, torch::rand({8, 784}) * 2 - 1};
    torch::manual_seed(50 + step);
    StepStats s = regularised.trainer->train_step(real);
    torch::manual_seed(50 + step);
    shadow.trainer->train_step(real);
    if (s.r1_penalty.defined()) {
      penalised.push_back(step);
      EXPECT_GT(s.r1_penalty.item<double>(), 0.0);
    }
    if (!same_parameters(*regularised.trainer->discriminator(), *shadow.trainer->discriminator()))
      changed.push_back(step);
  }
  EXPECT_EQ(penalised, (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(changed, penalised);
}

TEST_F(TrainerTest, AugmentOnSamplesThatAreNotImagesIsRefused) {
  Config c = default_config("even-bits");
  c.train.augment = Augment::kDiffAugment;
  EXPECT_THROW_MSG(make_run(c), ConfigError,
                   "train.augment = diffaugment needs image samples; this task's samples are not images");
  c.train.augment = Augment::kNone;
  c.train.r1_gamma = 1;  // R1 needs no image layout
  ToyRun r = make_run(c);
  for (double loss : run_steps(r, 3, 1)) EXPECT_TRUE(std::isfinite(loss));
}

// Every batch D is shown, real and fake, in its update and in G's, comes augmented: flat
// images of 0.7 and G's tanh outputs hold no zeros, augmented ones hold at least a cutout square
// per channel. G's weights still move: its gradient goes through the augmentation.
TEST_F(TrainerTest, AugmentationReachesEveryImageDSees) {
  const int64_t channels = 3, side = 8, features = channels * side * side, n = 6;
  for (const bool on : {false, true}) {
    SCOPED_TRACE(on ? "diffaugment" : "none");
    Config c = default_config("mnist");
    c.model.g_hidden = {16};
    c.train.order = StepOrder::kDiscriminatorFirst;
    c.train.d_steps = 1;
    c.train.augment = on ? Augment::kDiffAugment : Augment::kNone;
    TrainerOptions options = trainer_options(c);
    options.image_channels = channels;
    options.image_side = side;
    auto d = std::make_shared<RecordingDiscriminatorImpl>(features);
    Trainer trainer(make_generator(c, {features, channels, side}, MlpOutput::kTanh), d,
                    c.model.latent_dim, options, torch::kCPU);
    torch::Tensor g_before = trainer.generator()->parameters()[0].clone();
    trainer.train_step({torch::full({n, features}, 0.7)});
    ASSERT_EQ(d->seen.size(), 2u);  // D's update: [real; fake] in one pass; G's: fake
    EXPECT_EQ(d->seen[0].size(0), 2 * n);
    EXPECT_EQ(d->seen[1].size(0), n);
    const int64_t square = diff_augment_cutout_size(side) * diff_augment_cutout_size(side);
    for (const torch::Tensor& batch : d->seen) {
      torch::Tensor zeros = (batch == 0).sum(1);
      if (on) {
        EXPECT_GE(zeros.min().item<int64_t>(), channels * square);
      } else {
        EXPECT_EQ(zeros.max().item<int64_t>(), 0);
      }
    }
    EXPECT_FALSE(g_before.equal(trainer.generator()->parameters()[0]));
  }
}

// Augmentation and R1 with every loss, batch norm in D (separate real and fake passes), spectral
// norm, EMA, bf16 autocast (R1's double backward through it), skip mode and several D steps:
// finite statistics, a positive penalty where due, and both networks trained.
TEST_F(TrainerTest, AugmentAndR1TrainASmallDcganFinitely) {
  const std::vector<std::pair<std::string, std::function<void(Config&)>>> methods = {
      {"bce, batch norm", [](Config&) {}},
      {"hinge, spectral norm",
       [](Config& c) { c.train.loss = LossKind::kHinge; c.model.spectral_norm = true; }},
      {"lsgan, ema", [](Config& c) { c.train.loss = LossKind::kLsgan; c.train.ema_decay = 0.9; }},
      {"bf16", [](Config& c) { c.train.precision = Precision::kBf16; }},
      {"bf16, spectral norm",
       [](Config& c) { c.train.precision = Precision::kBf16; c.model.spectral_norm = true; }},
      {"skip mode, 2 d steps", [](Config& c) { c.train.on_nan = OnNan::kSkip; c.train.d_steps = 2; }},
  };
  const int64_t channels = 3, side = 16, features = channels * side * side;
  for (const auto& [name, set] : methods) {
    SCOPED_TRACE(name);
    Config c = default_config("mnist");
    c.model.arch = ModelArch::kDcgan;
    c.model.g_channels = {8, 4};
    c.model.d_channels = {4, 8};
    c.train.augment = Augment::kDiffAugment;
    c.train.r1_gamma = 10;
    c.train.r1_every = 2;
    set(c);
    TrainerOptions options = trainer_options(c);
    options.image_channels = channels;
    options.image_side = side;
    const SampleShape shape{features, channels, side};
    Networks n{make_generator(c, shape, MlpOutput::kTanh), make_discriminator(c, shape),
               c.train.ema_decay > 0 ? make_generator(c, shape, MlpOutput::kTanh) : nullptr};
    Trainer trainer(n.generator, n.discriminator, c.model.latent_dim, options, torch::kCPU,
                    nullptr, n.ema);
    std::vector<torch::Tensor> g_before, d_before;
    for (const auto& p : trainer.generator()->parameters()) g_before.push_back(p.clone());
    for (const auto& p : trainer.discriminator()->parameters()) d_before.push_back(p.clone());
    int64_t penalised = 0;
    for (int64_t step = 0; step < 4; ++step) {
      std::vector<Batch> real;
      for (int64_t i = 0; i < c.train.d_steps; ++i) real.push_back(torch::rand({8, features}) * 2 - 1);
      StepStats s = trainer.train_step(real);
      for (const torch::Tensor& t : {s.d_loss, s.g_loss, s.d_real, s.d_fake})
        EXPECT_TRUE(std::isfinite(t.item<double>())) << "step " << step;
      if (s.r1_penalty.defined()) {
        ++penalised;
        EXPECT_EQ(s.r1_penalty.scalar_type(), torch::kFloat);
        EXPECT_TRUE(std::isfinite(s.r1_penalty.item<double>()));
        EXPECT_GT(s.r1_penalty.item<double>(), 0.0);
      }
    }
    EXPECT_EQ(penalised, c.train.d_steps == 2 ? 4 : 2);
    EXPECT_EQ(trainer.skipped_steps(), 0);
    EXPECT_EQ(trainer.first_non_finite_step(), 0);
    // Weights, not biases: hinge's gradient on D's last bias is 0 while every margin is active.
    auto g = trainer.generator()->parameters(), d = trainer.discriminator()->parameters();
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i].dim() < 2) continue;
      EXPECT_FALSE(g[i].equal(g_before[i])) << "G " << i;
    }
    for (size_t i = 0; i < d.size(); ++i) {
      if (d[i].dim() < 2) continue;
      EXPECT_FALSE(d[i].equal(d_before[i])) << "D " << i;
    }
  }
}

// A NaN that only the penalty sees (D's loss stays finite) is caught on its own update, in
// both modes: skip drops the update, stop flags the step.
TEST_F(TrainerTest, ANonFinitePenaltyIsCaughtOnItsOwnUpdate) {
  for (const OnNan mode : {OnNan::kSkip, OnNan::kStop}) {
    SCOPED_TRACE(choice_name(mode));
    Config c = default_config("even-bits");
    c.train.on_nan = mode;
    c.train.r1_gamma = std::numeric_limits<double>::infinity();  // the penalty alone
    c.train.r1_every = 1;
    torch::manual_seed(5);
    Trainer trainer = linear_d_trainer(c, 6);
    torch::Tensor d_before = trainer.discriminator()->parameters()[0].clone();
    StepStats s = trainer.train_step({torch::rand({16, 6})});
    EXPECT_TRUE(std::isfinite(s.d_loss.item<double>()));
    EXPECT_FALSE(std::isfinite(s.r1_penalty.item<double>()));
    if (mode == OnNan::kSkip) {
      EXPECT_EQ(trainer.skipped_steps(), 1);
      EXPECT_TRUE(d_before.equal(trainer.discriminator()->parameters()[0]));
    } else {
      EXPECT_EQ(trainer.first_non_finite_step(), 1);
    }
  }
}

namespace {

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

// Data-parallel R1: each rank's penalty (on its own real shard) is part of the gradients the
// all-reduce averages, so the replicas stay identical; a penalty added after the all-reduce
// would make them differ. The penalty shown is the ranks' mean.
TEST_F(TrainerTest, R1IsPartOfTheDataParallelGradientAverage) {
  const int64_t world = 2, features = 6;
  Config c = default_config("even-bits");
  c.model.g_hidden = {8};
  c.model.d_hidden = {8};
  c.model.dropout = 0;
  c.train.r1_gamma = 5;
  c.train.r1_every = 1;
  const SampleShape shape{features, 0, 0};
  std::vector<Generator> gs;
  std::vector<Discriminator> ds;
  for (int64_t r = 0; r < world; ++r) {  // identical replicas, drawn before the threads start
    torch::manual_seed(4);
    gs.push_back(make_generator(c, shape, MlpOutput::kTanh));
    ds.push_back(make_discriminator(c, shape));
  }
  const int port = free_loopback_port();
  std::vector<std::string> errors(world);
  std::vector<std::vector<torch::Tensor>> weights(world);
  std::vector<double> shown(world);
  std::vector<std::thread> ranks;
  for (int64_t r = 0; r < world; ++r)
    ranks.emplace_back([&, r] {
      try {
        distributed::WorkerEnv env;
        env.rank = r;
        env.world_size = world;
        env.local_rank = r;
        env.master_addr = "127.0.0.1";
        env.master_port = port;
        auto group = distributed::ProcessGroup::join(env, DistBackend::kGloo, torch::kCPU,
                                                     std::chrono::seconds(20));
        Trainer trainer(gs[r], ds[r], c.model.latent_dim, trainer_options(c), torch::kCPU,
                        group.get());
        // Each rank's own real shard, so the penalties differ.
        StepStats s = trainer.train_step({torch::full({8, features}, r == 0 ? -0.8 : 0.9)});
        shown[r] = s.r1_penalty.item<double>();
        for (const auto& p : trainer.discriminator()->parameters()) weights[r].push_back(p.clone());
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : ranks) t.join();
  ASSERT_EQ(errors, std::vector<std::string>(world, ""));
  EXPECT_EQ(shown[0], shown[1]);
  EXPECT_GT(shown[0], 0.0);
  for (size_t i = 0; i < weights[0].size(); ++i) EXPECT_TRUE(weights[0][i].equal(weights[1][i])) << i;
}
