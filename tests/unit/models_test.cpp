// The architectures (MLP, DCGAN), spectral normalisation and the model factory's checks.
#include <sstream>

#include "gantrain/commands.h"
#include "gantrain/error.h"
#include "gantrain/model_factory.h"
#include "gantrain/models/conv_transpose.h"
#include "gantrain/models/dcgan.h"
#include "gantrain/models/spectral_norm.h"
#include "support.h"

namespace gantrain {
namespace {

constexpr SampleShape kImage{784, 1, 28};

using ModelsTest = testing_support::SeedingFixture;

Config dcgan_config() {
  Config c = default_config("mnist");
  c.model.arch = ModelArch::kDcgan;
  c.model.g_channels = {16, 8};
  c.model.d_channels = {8, 16};
  return c;
}

// uniform_dropout: each element kept with probability 1 - p and scaled by 1 / (1 - p), the
// gradient through the same mask, and nothing at all outside training.
TEST_F(ModelsTest, DropoutKeepsOneMinusPAndScales) {
  torch::Tensor x = torch::ones({400, 500}, torch::requires_grad());
  torch::Tensor y = uniform_dropout(x, 0.3, /*training=*/true);
  const double kept = (y > 0).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(kept, 0.7, 0.005);  // 200,000 draws: the standard error is 0.001
  EXPECT_TRUE(torch::allclose(y.masked_select(y > 0), torch::full({1}, 1.0 / 0.7)));
  y.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), y.detach()));
  EXPECT_TRUE(uniform_dropout(x, 0.3, /*training=*/false).equal(x));
}

// The oneDNN route for G's transposed convolutions: output, input and weight gradients those of
// LibTorch's own kernel, at a stage's shape (4x4, stride 2, padding 1) and the base map's (a
// 1x1 input grown to 4x4); without an input gradient when the input needs none (the noise).
TEST_F(ModelsTest, TransposedConvolutionByConvBackwardMatchesLibTorch) {
  struct Case { int64_t side, kernel, stride, padding; bool input_grad; };
  for (const Case c : {Case{5, 4, 2, 1, true}, Case{1, 4, 1, 0, false}, Case{3, 3, 1, 1, true}}) {
    SCOPED_TRACE("side " + std::to_string(c.side) + " kernel " + std::to_string(c.kernel));
    torch::Tensor x = torch::randn({3, 6, c.side, c.side}).requires_grad_(c.input_grad);
    torch::Tensor w = torch::randn({6, 4, c.kernel, c.kernel}, torch::requires_grad());
    torch::Tensor expected = torch::conv_transpose2d(x, w, {}, c.stride, c.padding);
    torch::Tensor got = conv_transpose2d_by_conv_backward(x, w, c.stride, c.padding);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-4));
    torch::Tensor upstream = torch::randn_like(expected);
    std::vector<torch::Tensor> inputs = {w};
    if (c.input_grad) inputs.push_back(x);
    auto want = torch::autograd::grad({expected}, inputs, {upstream});
    auto have = torch::autograd::grad({got}, inputs, {upstream});
    for (size_t i = 0; i < inputs.size(); ++i)
      EXPECT_TRUE(torch::allclose(have[i], want[i], 1e-5, 1e-3)) << "gradient " << i;
  }
  // The dispatching entry point adds the bias, on whichever route this build takes.
  torch::Tensor x = torch::randn({2, 5, 4, 4});
  torch::Tensor w = torch::randn({5, 3, 4, 4});
  torch::Tensor b = torch::randn({3});
  EXPECT_TRUE(torch::allclose(conv_transpose2d(x, w, b, 2, 1),
                              torch::conv_transpose2d(x, w, b, 2, 1), 1e-5, 1e-4));
}

TEST_F(ModelsTest, DcganShapesAndInitialisation) {
  Config c = dcgan_config();
  Generator g = make_generator(c, kImage, MlpOutput::kTanh);
  Discriminator d = make_discriminator(c, kImage);
  torch::Tensor images = g->forward(torch::randn({5, 100}));
  EXPECT_EQ(images.sizes(), (std::vector<int64_t>{5, 784}));
  EXPECT_LT(images.abs().max().item<float>(), 1.0f);
  EXPECT_EQ(d->forward(images).sizes(), (std::vector<int64_t>{5, 1}));
  EXPECT_TRUE(d->mixes_batch());  // batch norm after its second stage
  // N(0, 0.02) weights (Radford et al.): G's first transposed convolution has 16 * 100 * 49.
  torch::Tensor w = g->named_parameters()["layers.up0.weight"];
  EXPECT_EQ(w.sizes(), (std::vector<int64_t>{100, 16, 7, 7}));
  EXPECT_NEAR(w.std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(g->named_parameters()["layers.bn0.weight"].mean().item<double>(), 1.0, 0.01);
  EXPECT_THROW(d->forward(torch::randn({5, 7})), c10::Error);
}

TEST_F(ModelsTest, OneStageDcganStartsFrom14x14) {
  Config c = dcgan_config();
  c.model.g_channels = {8};
  c.model.d_channels = {8};
  EXPECT_EQ(make_generator(c, kImage, MlpOutput::kTanh)->forward(torch::randn({2, 100})).sizes(),
            (std::vector<int64_t>{2, 784}));
  EXPECT_EQ(dcgan_base_side(28, 1), 14);
  EXPECT_EQ(dcgan_base_side(28, 2), 7);
  EXPECT_EQ(dcgan_base_side(28, 3), 0);  // 3.5
  EXPECT_EQ(dcgan_base_side(32, 4), 2);
}

TEST_F(ModelsTest, FactoryRefusesWhatDoesNotFit) {
  Config c = dcgan_config();
  c.model.g_channels = {64, 32, 16};
  EXPECT_THROW_MSG(make_generator(c, kImage, MlpOutput::kTanh), ConfigError,
                       "model.g_channels = [64, 32, 16]: each width is one 2x resolution stage, "
                       "and 3 stages do not fit 28x28 images");
  c = dcgan_config();
  EXPECT_THROW_MSG(make_discriminator(c, SampleShape{7}), ConfigError,
                       "model.arch = dcgan needs image samples; task mnist has vectors of 7");
  c.model.d_channels = {1000000, 1000000};
  EXPECT_THROW_MSG(make_discriminator(c, kImage), ConfigError,
                       "model.d_channels = [1000000, 1000000]: the network would have");
}

// The largest singular value, the quantity power iteration estimates.
double top_singular_value(const torch::Tensor& w) {
  return std::get<1>(torch::svd(w.reshape({w.size(0), -1}))).max().item<double>();
}

TEST_F(ModelsTest, SpectralNormDividesByTheLargestSingularValue) {
  torch::nn::Linear layer(20, 10);
  SpectralNorm norm(*layer, 10);
  torch::Tensor weight = layer->weight;  // requires grad: each call does one power iteration
  for (int i = 0; i < 200; ++i) norm.normalize(weight);
  torch::Tensor normalized = norm.normalize(weight);
  EXPECT_NEAR(top_singular_value(normalized.detach()), 1.0, 1e-4);
  EXPECT_NEAR((weight / normalized).mean().item<double>(), top_singular_value(weight.detach()),
              1e-3);
  // The vector is a buffer, so checkpoints carry it.
  EXPECT_EQ(layer->named_buffers()["weight_u"].sizes(), (std::vector<int64_t>{10}));
}

TEST_F(ModelsTest, SpectralNormIteratesOnlyWhileItsWeightTrains) {
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 4, 3));
  SpectralNorm norm(*conv, 4);
  const torch::Tensor before = conv->named_buffers()["weight_u"].clone();
  conv->weight.requires_grad_(false);  // as in G's update, where D is frozen
  norm.normalize(conv->weight);
  EXPECT_TRUE(torch::equal(conv->named_buffers()["weight_u"], before));
  conv->weight.requires_grad_(true);
  {
    torch::NoGradGuard no_grad;  // sampling, evaluation
    norm.normalize(conv->weight);
  }
  EXPECT_TRUE(torch::equal(conv->named_buffers()["weight_u"], before));
  norm.normalize(conv->weight);  // D's own update
  EXPECT_FALSE(torch::equal(conv->named_buffers()["weight_u"], before));
}

TEST_F(ModelsTest, SpectralNormGradientIsThatOfWOverSigmaWithUFixed) {
  // The gradient that flows back through normalize() equals finite differences of
  // sum(c * W / |W^T u|) at the u that call left behind (u a constant, as in PyTorch).
  torch::nn::Linear layer(4, 3);
  SpectralNorm norm(*layer, 3);
  layer->to(torch::kDouble);  // u too: it is a buffer of the layer
  const torch::Tensor c = torch::randn({3, 4}, torch::kDouble);
  (norm.normalize(layer->weight) * c).sum().backward();  // one power iteration, then sigma
  const torch::Tensor u = layer->named_buffers()["weight_u"].detach().clone();
  auto f = [&](const torch::Tensor& m) { return (m / m.t().mv(u).norm() * c).sum().item<double>(); };
  const torch::Tensor w = layer->weight.detach().clone();
  torch::Tensor numeric = torch::zeros_like(w);
  for (int64_t i = 0; i < w.numel(); ++i) {
    torch::Tensor step = torch::zeros_like(w);
    step.view(-1)[i] = 1e-6;
    numeric.view(-1)[i] = (f(w + step) - f(w - step)) / 2e-6;
  }
  EXPECT_TRUE(torch::allclose(layer->weight.grad(), numeric, 1e-5, 1e-7));
}

TEST_F(ModelsTest, SpectralNormMlpAndDcganDiscriminatorsSaveTheirVectors) {
  Config c = default_config("mnist");
  c.model.d_hidden = {8};
  c.model.spectral_norm = true;
  Discriminator mlp = make_discriminator(c, kImage);
  EXPECT_EQ(mlp->named_buffers().size(), 2u);  // fc0, fc1
  c = dcgan_config();
  c.model.spectral_norm = true;
  Discriminator dcgan = make_discriminator(c, kImage);
  EXPECT_EQ(dcgan->named_buffers().size(), 3u);  // three convolutions, no batch norm
  EXPECT_FALSE(dcgan->mixes_batch());
  // A round trip restores them (load_parameters also checks every shape).
  std::stringstream buffer;
  torch::serialize::OutputArchive out;
  dcgan->save(out);
  out.save_to(buffer);
  Discriminator other = make_discriminator(c, kImage);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  load_parameters(*other, in);
  for (const auto& b : dcgan->named_buffers())
    EXPECT_TRUE(torch::equal(b.value(), other->named_buffers()[b.key()])) << b.key();
}

TEST_F(ModelsTest, MlpShapes) {
  Config c = default_config("mnist");
  Generator g = make_generator(c, kImage, MlpOutput::kTanh);
  Discriminator d = make_discriminator(c, kImage);
  torch::Tensor fake = g->forward(torch::randn({5, 100}));
  EXPECT_EQ(fake.sizes(), (std::vector<int64_t>{5, 784}));
  EXPECT_LE(fake.abs().max().item<float>(), 1.0f);
  EXPECT_EQ(d->forward(fake).sizes(), (std::vector<int64_t>{5, 1}));
  EXPECT_THROW(d->forward(torch::randn({5, 7})), c10::Error);
}

TEST_F(ModelsTest, MlpKeepsTheSeedCheckpointNames) {
  Config c = default_config("mnist");
  Generator g = make_generator(c, kImage, MlpOutput::kTanh);
  std::vector<std::string> names;
  for (const auto& p : g->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"layers.fc0.weight", "layers.fc0.bias",
                                             "layers.fc1.weight", "layers.fc1.bias",
                                             "layers.fc2.weight", "layers.fc2.bias",
                                             "layers.fc3.weight", "layers.fc3.bias"}));
}

}  // namespace
}  // namespace gantrain
