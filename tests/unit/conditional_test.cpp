// Class-conditional GANs: the models' class inputs, labelled batches, the trainer's use of them,
// and the latents `gantrain sample` draws (classes, truncation, interpolation).
#include "expect_throw.h"
#include "gantrain/commands.h"
#include "gantrain/data/batch_source.h"
#include "gantrain/error.h"
#include "gantrain/io/npy.h"
#include "gantrain/metrics/sample_quality.h"
#include "gantrain/model_factory.h"
#include "gantrain/run/sampling.h"
#include "gantrain/run/training_run.h"
#include "gantrain/trainer.h"
#include "support.h"

namespace gantrain {
namespace {

constexpr SampleShape kLabelled{784, 1, 28, 10};

using ConditionalTest = testing_support::SeedingFixture;

Config conditional(ModelArch arch) {
  Config c = default_config("mnist");
  c.model.conditional = true;
  c.model.arch = arch;
  c.model.g_hidden = {32};
  c.model.d_hidden = {32};
  c.model.g_channels = {16, 8};
  c.model.d_channels = {8, 16};
  return c;
}

TEST_F(ConditionalTest, GeneratorsDrawTheClassAskedFor) {
  for (ModelArch arch : {ModelArch::kMlp, ModelArch::kDcgan}) {
    Generator g = make_generator(conditional(arch), kLabelled, MlpOutput::kTanh);
    EXPECT_EQ(g->num_classes(), 10);
    g->eval();
    torch::Tensor z = torch::randn({4, 100}).repeat({2, 1});
    torch::Tensor labels = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3}, torch::kLong);
    torch::Tensor x = g->forward({z, labels});
    EXPECT_EQ(x.sizes(), (std::vector<int64_t>{8, 784}));
    EXPECT_TRUE(torch::allclose(x.narrow(0, 0, 4), x.narrow(0, 4, 4)));  // same z, same class
    torch::Tensor other = g->forward({z.narrow(0, 0, 4), torch::full({4}, 5, torch::kLong)});
    // Same noise, another class: other images (the class embedding starts random in the MLP,
    // near 1 in the DCGAN's batch-norm gains, so the difference is small but not zero there).
    EXPECT_FALSE(torch::allclose(other, x.narrow(0, 0, 4), 0, 1e-7)) << choice_name(arch);
    EXPECT_THROW(g->forward(z), c10::Error);  // no labels
  }
}

TEST_F(ConditionalTest, ProjectionStartsUnconditionalThenLearnsClasses) {
  for (ModelArch arch : {ModelArch::kMlp, ModelArch::kDcgan}) {
    Discriminator d = make_discriminator(conditional(arch), kLabelled);
    d->eval();
    torch::Tensor x = torch::rand({4, 784}) * 2 - 1;
    torch::Tensor a = d->forward({x, torch::zeros({4}, torch::kLong)});
    torch::Tensor b = d->forward({x, torch::full({4}, 7, torch::kLong)});
    EXPECT_TRUE(torch::equal(a, b)) << "the projection's class vectors start at zero";
    auto named = d->named_parameters();
    ASSERT_TRUE(named.contains("embed.weight"));
    torch::NoGradGuard no_grad;
    named["embed.weight"].normal_();
    EXPECT_FALSE(torch::allclose(d->forward({x, torch::zeros({4}, torch::kLong)}),
                                 d->forward({x, torch::full({4}, 7, torch::kLong)})));
  }
}

// The parameter names are the checkpoint schema and what export reads.
TEST_F(ConditionalTest, ParameterNames) {
  Generator mlp = make_generator(conditional(ModelArch::kMlp), kLabelled, MlpOutput::kTanh);
  EXPECT_EQ(mlp->named_parameters()["embed.weight"].sizes(), (std::vector<int64_t>{10, 10}));
  EXPECT_EQ(mlp->named_parameters()["layers.fc0.weight"].size(1), 110);
  Generator dcgan = make_generator(conditional(ModelArch::kDcgan), kLabelled, MlpOutput::kTanh);
  auto p = dcgan->named_parameters();
  EXPECT_EQ(p["class_bn0.weight"].sizes(), (std::vector<int64_t>{10, 32}));
  EXPECT_EQ(p["class_bn1.weight"].sizes(), (std::vector<int64_t>{10, 16}));
  EXPECT_FALSE(p.contains("layers.bn0.weight"));  // the class gives scale and shift
  EXPECT_TRUE(dcgan->named_buffers().contains("layers.bn0.running_mean"));
  // Biases start at zero, gains at 1 + N(0, 0.02).
  EXPECT_TRUE(torch::equal(p["class_bn0.weight"].narrow(1, 16, 16), torch::zeros({10, 16})));
  EXPECT_LT(p["class_bn0.weight"].narrow(1, 0, 16).abs().max().item<float>(), 0.2f);
}

TEST_F(ConditionalTest, UnlabelledTasksAreRefused) {
  Config c = default_config("even-bits");
  c.model.conditional = true;
  EXPECT_THROW_MSG(make_generator(c, SampleShape{7}, MlpOutput::kSigmoid), ConfigError,
                   "model.conditional = true needs labelled data with 2 or more classes; task "
                   "even-bits has no labels");
}

TEST_F(ConditionalTest, BatchesCarryTheirRowsLabels) {
  torch::Tensor data = torch::arange(12, torch::kByte).view({12, 1});
  torch::Tensor labels = torch::arange(12, torch::kLong).remainder(3);
  TensorBatches whole(data, 6, {}, 0, labels);
  for (int i = 0; i < 3; ++i) {
    Batch b = whole.next_batch();
    // Row v of the data is (v / 127.5 - 1); its label is v % 3.
    torch::Tensor value = ((b.samples.flatten() + 1) * 127.5).round().to(torch::kLong);
    EXPECT_TRUE(torch::equal(value.remainder(3), b.labels));
  }
  // Each rank shuffles alike (the same seed) and takes its rows, labels with them.
  auto draw = [&](Shard shard) {
    torch::manual_seed(5);
    return TensorBatches(data, 6, shard, 0, labels).next_batch().labels;
  };
  EXPECT_TRUE(torch::equal(torch::cat({draw({0, 2}), draw({1, 2})}), draw({})));
}

TEST_F(ConditionalTest, TrainStepTrainsTheClassParameters) {
  for (ModelArch arch : {ModelArch::kMlp, ModelArch::kDcgan}) {
    Config c = conditional(arch);
    Networks n{make_generator(c, kLabelled, MlpOutput::kTanh), make_discriminator(c, kLabelled),
               nullptr};
    Trainer trainer(n.generator, n.discriminator, c.model.latent_dim, trainer_options(c),
                    torch::kCPU);
    torch::Tensor g_embed = (arch == ModelArch::kMlp ? n.generator->named_parameters()["embed.weight"]
                                                     : n.generator->named_parameters()["class_bn0.weight"])
                                .clone();
    torch::Tensor d_embed = n.discriminator->named_parameters()["embed.weight"].clone();
    Batch real{torch::rand({8, 784}) * 2 - 1, torch::tensor({0, 1, 2, 3, 4, 5, 6, 7}, torch::kLong)};
    StepStats s = trainer.train_step({real});
    EXPECT_TRUE(std::isfinite(s.g_loss.item<double>()));
    EXPECT_FALSE(torch::equal(d_embed, n.discriminator->named_parameters()["embed.weight"]));
    EXPECT_FALSE(torch::equal(g_embed, arch == ModelArch::kMlp
                                           ? n.generator->named_parameters()["embed.weight"]
                                           : n.generator->named_parameters()["class_bn0.weight"]));
    // Classes 8 and 9 were in no batch: their rows of D's projection did not move.
    EXPECT_TRUE(torch::equal(d_embed.narrow(0, 8, 2),
                             n.discriminator->named_parameters()["embed.weight"].narrow(0, 8, 2)));
    EXPECT_THROW(trainer.train_step({Batch{torch::rand({8, 784})}}), c10::Error);  // unlabelled
  }
}

// Every loss, bf16 and spectral norm take the labels through the same seam.
TEST_F(ConditionalTest, EveryLossAndPrecisionTrains) {
  for (LossKind loss : {LossKind::kBce, LossKind::kHinge, LossKind::kLsgan})
    for (Precision precision : {Precision::kFp32, Precision::kBf16}) {
      Config c = conditional(ModelArch::kDcgan);
      c.train.loss = loss;
      c.train.precision = precision;
      c.model.spectral_norm = precision == Precision::kBf16;
      c.train.ema_decay = 0.9;
      Trainer trainer(make_generator(c, kLabelled, MlpOutput::kTanh), make_discriminator(c, kLabelled),
                      c.model.latent_dim, trainer_options(c), torch::kCPU, nullptr,
                      make_generator(c, kLabelled, MlpOutput::kTanh));
      Batch real{torch::rand({8, 784}) * 2 - 1, torch::arange(8, torch::kLong)};
      for (int step = 0; step < 2; ++step) {
        StepStats s = trainer.train_step({real});
        EXPECT_TRUE(std::isfinite(s.d_loss.item<double>()) && std::isfinite(s.g_loss.item<double>()))
            << choice_name(loss) << " " << choice_name(precision);
      }
      torch::Tensor drawn = generate_samples(*trainer.sampling_generator(),
                                             {torch::randn({3, 100}), torch::arange(3, torch::kLong)});
      EXPECT_EQ(drawn.sizes(), (std::vector<int64_t>{3, 784}));
    }
}

TEST(SamplingTest, LabelsInTurnInRunsAndRows) {
  SamplingOptions o;
  o.n = 6;
  EXPECT_TRUE(torch::equal(sampling_labels(o, 3), torch::tensor({0, 1, 2, 0, 1, 2}, torch::kLong)));
  o.per_class = 2;
  o.classes = {7, 3};
  EXPECT_TRUE(torch::equal(sampling_labels(o, 10), torch::tensor({7, 7, 3, 3, 7, 7}, torch::kLong)));
  o.per_class = 0;
  o.interpolate = 3;
  EXPECT_TRUE(torch::equal(sampling_labels(o, 10), torch::tensor({7, 7, 7, 3, 3, 3}, torch::kLong)));
  EXPECT_FALSE(sampling_labels(o, 0).defined());
  EXPECT_TRUE(torch::equal(cycled_labels(6, 3, 2, torch::kCPU),
                           torch::tensor({0, 0, 1, 1, 2, 2}, torch::kLong)));
}

TEST(SamplingTest, BatchesDrawTheNoiseOfOneDraw) {
  ModelConfig model;
  model.latent_dim = 100;
  model.noise = NoiseKind::kGaussian;
  SamplingOptions o;
  o.n = 2500;
  o.seed = 11;
  LatentStream stream(model, 0, o, torch::kCPU);
  std::vector<torch::Tensor> parts;
  while (stream.remaining() > 0) parts.push_back(stream.next(1024).noise);
  EXPECT_EQ(parts.size(), 3u);
  EXPECT_TRUE(torch::equal(torch::cat(parts), fixed_noise(model, 2500, 11, torch::kCPU)));
}

TEST(SamplingTest, TruncationAndInterpolation) {
  ModelConfig model;
  model.latent_dim = 64;
  model.noise = NoiseKind::kGaussian;
  SamplingOptions o;
  o.n = 4000;
  o.truncation = 0.5;
  torch::Tensor z = LatentStream(model, 0, o, torch::kCPU).next(4000).noise;
  EXPECT_LE(z.abs().max().item<float>(), 0.5f + 1e-5f);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 0.01);
  EXPECT_GT(z.abs().max().item<float>(), 0.49f);  // the whole interval, not a scaled copy

  torch::Tensor a = torch::randn({3, 64}), b = torch::randn({3, 64});
  torch::Tensor path = slerp_rows(a, b, 5).view({3, 5, 64});
  EXPECT_TRUE(torch::allclose(path.select(1, 0), a, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(path.select(1, 4), b, 1e-5, 1e-5));
  // Equal norms stay on the sphere all the way (a straight line would cut inside it).
  torch::Tensor unit_a = a / a.norm(2, 1, true), unit_b = b / b.norm(2, 1, true);
  torch::Tensor arc = slerp_rows(unit_a, unit_b, 7);
  EXPECT_TRUE(torch::allclose(arc.norm(2, 1), torch::ones({21}), 1e-4, 1e-4));
}

TEST(SamplingTest, RequestsThatDoNotFitTheGenerator) {
  SamplingOptions o;
  o.classes = {3};
  EXPECT_THROW_MSG(check_sampling(o, NoiseKind::kGaussian, 0), ConfigError,
                   "--class/--classes: this generator is not class-conditional");
  o.classes = {12};
  EXPECT_THROW_MSG(check_sampling(o, NoiseKind::kGaussian, 10), ConfigError,
                   "--class 12: the generator draws classes 0 to 9");
  o = {};
  o.truncation = 1;
  EXPECT_THROW_MSG(check_sampling(o, NoiseKind::kBits, 0), ConfigError,
                   "--truncation applies to gaussian noise; this generator's noise is bits");
}

TEST(ClassScoresTest, FidelityPerClass) {
  // Class 0 asked 4 times, classified 0 three times; class 1 asked 2 times, classified 1 once;
  // class 2 never asked.
  torch::Tensor labels = torch::tensor({0, 0, 0, 0, 1, 1}, torch::kLong);
  torch::Tensor predicted = torch::tensor({0, 0, 0, 2, 1, 0}, torch::kLong);
  torch::Tensor probabilities = torch::one_hot(predicted, 3).to(torch::kFloat);
  torch::Tensor features = torch::randn({6, 4});
  std::vector<FeatureMoments> real = class_moments(torch::randn({30, 4}),
                                                   torch::arange(30, torch::kLong).remainder(3), 3);
  ClassScores s = class_scores(probabilities, features, labels, real);
  EXPECT_DOUBLE_EQ(s.fidelity[0], 0.75);
  EXPECT_DOUBLE_EQ(s.fidelity[1], 0.5);
  EXPECT_TRUE(std::isnan(s.fidelity[2]));
  EXPECT_DOUBLE_EQ(s.mean_fidelity, 0.625);
  EXPECT_TRUE(std::isfinite(s.fid[0]) && std::isfinite(s.fid[1]));
  EXPECT_TRUE(std::isnan(s.fid[2]));
  // The same features for both sides: a class's FID is 0.
  ClassScores same = class_scores(probabilities, features, labels, class_moments(features, labels, 3));
  EXPECT_NEAR(same.fid[0], 0.0, 1e-6);
}

TEST(NpyTest, HeaderIsAlignedAndReadable) {
  const std::string h = npy_header("<f4", {5, 1, 28, 28});
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(0, 6), "\x93NUMPY");
  const size_t length = static_cast<unsigned char>(h[8]) | (static_cast<unsigned char>(h[9]) << 8);
  EXPECT_EQ(length + 10, h.size());
  EXPECT_NE(h.find("'shape': (5, 1, 28, 28), }"), std::string::npos);
  EXPECT_EQ(h.back(), '\n');
  EXPECT_NE(npy_header("<i8", {3}).find("'shape': (3,), }"), std::string::npos);
}

}  // namespace
}  // namespace gantrain
