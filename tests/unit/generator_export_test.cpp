// gantrain export (io/generator_export, export.h): the TorchScript module, loaded back with
// torch::jit::load, draws what the C++ generator draws; the safetensors file holds its tensors.
#include <torch/script.h>

#include <cstring>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/export.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/generator_export.h"
#include "gantrain/io/run_state.h"
#include "gantrain/models/dcgan.h"
#include "gantrain/models/mlp.h"
#include "gantrain/task.h"
#include "gantrain/trainer.h"
#include "expect_throw.h"
#include "temp_dir.h"

using namespace gantrain;

namespace {

class GeneratorExportTest : public testing_support::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    torch::manual_seed(0);
  }

  // Exports `g`, loads the file with torch::jit::load and compares both on fresh noise (and
  // labels); returns the loaded module.
  torch::jit::Module export_and_compare(GeneratorImpl& g, const ExportInfo& info) {
    const std::string file = path("g.pt");
    save_generator_torchscript(g, info, file);
    torch::jit::Module m = torch::jit::load(file);
    expect_same_samples(m, g, info);
    return m;
  }

  static void expect_same_samples(torch::jit::Module& m, GeneratorImpl& g, const ExportInfo& info) {
    const int64_t n = 6;
    Latents latents(torch::randn({n, info.latent_dim}));
    std::vector<torch::jit::IValue> inputs{latents.noise};
    if (info.num_classes > 0) {
      latents.labels = torch::randint(0, info.num_classes, {n}, torch::kLong);
      inputs.emplace_back(latents.labels);
    }
    torch::Tensor want = generate_samples(g, latents);
    torch::Tensor got = m.forward(inputs).toTensor();
    if (info.channels > 0)
      EXPECT_EQ(got.sizes(), torch::IntArrayRef({n, info.channels, info.height, info.width}));
    else
      EXPECT_EQ(got.sizes(), torch::IntArrayRef({n, info.width}));
    EXPECT_LT((got.reshape({n, -1}) - want).abs().max().item<double>(), 1e-5);
  }

  // Batch-norm statistics far from their start (0 and 1), so that train-form batch norm or
  // swapped statistics would show.
  static void randomize_buffers(torch::nn::Module& g) {
    torch::NoGradGuard no_grad;
    for (auto& b : g.named_buffers()) {
      if (b.key().find("running_mean") != std::string::npos) b.value().normal_(0, 0.5);
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
    }
    for (auto& p : g.named_parameters()) p.value().add_(torch::randn_like(p.value()) * 0.1);
  }

  static ExportInfo image_info(int64_t latent, int64_t channels, int64_t side, int64_t classes = 0) {
    ExportInfo info;
    info.latent_dim = latent;
    info.num_classes = classes;
    info.channels = channels;
    info.height = side;
    info.width = side;
    info.config_yaml = "task: mnist\n";
    return info;
  }
};

MlpOptions mlp_options(bool spectral_norm, int64_t classes) {
  MlpOptions o;
  o.in = 5;
  o.hidden = {16, 12};
  o.out = 2 * 4 * 4;
  o.activation = Activation::kLeakyRelu;
  o.leaky_slope = 0.15;
  o.output = MlpOutput::kTanh;
  o.spectral_norm = spectral_norm;
  o.num_classes = classes;
  return o;
}

DcganOptions dcgan_options(int64_t classes) {
  DcganOptions o;
  o.latent_dim = 6;
  o.channels = 3;
  o.side = 16;
  o.g_widths = {8, 6, 4};
  o.num_classes = classes;
  return o;
}

}  // namespace

TEST_F(GeneratorExportTest, MlpModuleDrawsTheGeneratorsSamples) {
  for (bool spectral_norm : {false, true}) {
    SCOPED_TRACE(spectral_norm ? "spectral norm folded" : "plain");
    MlpGeneratorImpl g(mlp_options(spectral_norm, 0));
    randomize_buffers(g);
    ExportInfo info = image_info(5, 2, 4);
    info.noise = NoiseKind::kUniform;
    torch::jit::Module m = export_and_compare(g, info);
    EXPECT_EQ(m.attr("latent_dim").toInt(), 5);
    EXPECT_EQ(m.attr("num_classes").toInt(), 0);
    EXPECT_EQ(m.attr("noise").toStringRef(), "uniform");
    EXPECT_EQ(m.attr("channels").toInt(), 2);
    EXPECT_EQ(m.attr("height").toInt(), 4);
    EXPECT_EQ(m.attr("width").toInt(), 4);
    EXPECT_EQ(m.attr("config").toStringRef(), "task: mnist\n");
    EXPECT_TRUE(m.hasattr("layers_fc0_weight"));
    EXPECT_FALSE(m.hasattr("layers_fc0_weight_u"));  // folded into the weight
  }
}

TEST_F(GeneratorExportTest, EachHiddenActivationAndOutput) {
  for (Activation activation : {Activation::kRelu, Activation::kTanh}) {
    MlpOptions o = mlp_options(false, 0);
    o.activation = activation;
    o.output = MlpOutput::kSigmoid;
    MlpGeneratorImpl g(o);
    ExportInfo info;  // a vector task: [N, features]
    info.latent_dim = 5;
    info.noise = NoiseKind::kBits;
    info.width = o.out;
    torch::jit::Module m = export_and_compare(g, info);
    EXPECT_EQ(m.attr("channels").toInt(), 0);
    EXPECT_EQ(m.attr("height").toInt(), 1);
  }
}

TEST_F(GeneratorExportTest, DcganModuleUsesTheRunningStatistics) {
  DcganGeneratorImpl g(dcgan_options(0));
  randomize_buffers(g);
  torch::jit::Module m = export_and_compare(g, image_info(6, 3, 16));
  EXPECT_TRUE(m.hasattr("layers_bn1_running_var"));
  // The module is in eval form: a batch of one draws the same image as inside a batch.
  torch::Tensor z = torch::randn({3, 6});
  torch::Tensor all = m.forward({z}).toTensor();
  torch::Tensor one = m.forward({z.narrow(0, 1, 1)}).toTensor();
  EXPECT_LT((all[1] - one[0]).abs().max().item<double>(), 1e-6);
}

TEST_F(GeneratorExportTest, ConditionalModulesTakeLabels) {
  MlpGeneratorImpl mlp(mlp_options(false, 3));
  randomize_buffers(mlp);
  torch::jit::Module m = export_and_compare(mlp, image_info(5, 2, 4, 3));
  EXPECT_EQ(m.attr("num_classes").toInt(), 3);
  DcganGeneratorImpl dcgan(dcgan_options(4));
  randomize_buffers(dcgan);
  m = export_and_compare(dcgan, image_info(6, 3, 16, 4));
  EXPECT_EQ(m.attr("num_classes").toInt(), 4);
  // The class changes the image.
  torch::Tensor z = torch::randn({1, 6});
  torch::Tensor a = m.forward({z, torch::tensor({0}, torch::kLong)}).toTensor();
  torch::Tensor b = m.forward({z, torch::tensor({3}, torch::kLong)}).toTensor();
  EXPECT_GT((a - b).abs().max().item<double>(), 1e-4);
}

TEST_F(GeneratorExportTest, AnotherGeneratorTypeIsRefused) {
  struct Other : GeneratorImpl {
    torch::Tensor forward(const Latents& latents) override { return latents.noise; }
    int64_t num_classes() const override { return 0; }
  } other;
  ExportInfo info;
  info.latent_dim = 2;
  info.width = 2;
  EXPECT_THROW_MSG(generator_script(other, info), Error, "no TorchScript form for generator type");
}

// From a checkpoint, as `gantrain export` does it: the EMA unless --raw-generator, for the MLP
// and the DCGAN, with and without model.spectral_norm (D's only; on with the conditional models,
// to keep the test short).
TEST_F(GeneratorExportTest, CheckpointExportTakesTheEmaOrG) {
  for (ModelArch arch : {ModelArch::kMlp, ModelArch::kDcgan}) {
    for (bool spectral_norm : {false, true}) {
      const bool conditional = spectral_norm;
      SCOPED_TRACE(choice_name(arch) + (spectral_norm ? " spectral_norm" : "") +
                   (conditional ? " conditional" : ""));
      Config config = default_config("mnist");
      config.model.arch = arch;
      config.model.g_hidden = {16};
      config.model.d_hidden = {16};
      config.model.g_channels = {8, 4};
      config.model.d_channels = {4, 8};
      config.model.spectral_norm = spectral_norm;
      config.model.conditional = conditional;
      config.train.batch_size = 8;
      config.train.ema_decay = 0.5;
      auto task = find_task("mnist").create(config);
      Networks nets = make_networks(*task, config);
      Trainer trainer(nets.generator, nets.discriminator, config.model.latent_dim,
                      trainer_options(config), torch::kCPU, nullptr, nets.ema);
      TensorBatches data(torch::randint(0, 256, {16, 784}, torch::kByte), 8, {}, 0,
                         conditional ? torch::randint(0, 10, {16}, torch::kLong) : torch::Tensor());
      for (int i = 0; i < 3; ++i) trainer.train_step({data.next_batch()});
      RunState state{to_yaml(config), torch::zeros({2, config.model.latent_dim}), {}};
      state.rng.cpu = generator_state(default_generator(torch::kCPU));
      torch::serialize::OutputArchive archive;
      save_run_state(archive, state, trainer, data);
      write_archive(archive, path("ckpt.pt"));

      std::vector<torch::Tensor> drawn;
      for (bool raw : {false, true}) {
        ExportRequest request;
        request.checkpoint = path("ckpt.pt");
        request.out = path(raw ? "raw.pt" : "ema.pt");
        request.raw_generator = raw;
        EXPECT_EQ(export_generator(request), request.out);
        torch::jit::Module m = torch::jit::load(request.out);
        EXPECT_EQ(m.attr("config").toStringRef(), to_yaml(config));
        EXPECT_EQ(m.attr("num_classes").toInt(), conditional ? 10 : 0);
        EXPECT_EQ(m.attr("channels").toInt(), 1);
        EXPECT_EQ(m.attr("width").toInt(), 28);
        EXPECT_EQ(m.attr("noise").toStringRef(), "gaussian");
        GeneratorImpl& g = raw ? *trainer.generator() : *trainer.generator_ema();
        ExportInfo info = image_info(config.model.latent_dim, 1, 28, conditional ? 10 : 0);
        torch::manual_seed(1);
        expect_same_samples(m, g, info);
        const torch::Tensor z = torch::ones({2, config.model.latent_dim});
        drawn.push_back((conditional ? m.forward({z, torch::tensor({1, 2}, torch::kLong)})
                                     : m.forward({z})).toTensor());
      }
      EXPECT_GT((drawn[0] - drawn[1]).abs().max().item<double>(), 1e-6);  // EMA != G
    }
  }
}

TEST_F(GeneratorExportTest, SafetensorsLayout) {
  MlpGeneratorImpl g(mlp_options(false, 0));
  ExportInfo info = image_info(5, 2, 4);
  info.config_yaml = "task: \"mnist\"\nmodel:\n  latent_dim: 5\n";
  const std::string bytes = safetensors_bytes(g, info);
  ASSERT_GT(bytes.size(), 8u);
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
  ASSERT_LE(8 + length, bytes.size());
  EXPECT_EQ(length % 8, 0u);
  const std::string header = bytes.substr(8, length);
  EXPECT_EQ(header.front(), '{');
  // JSON strings: quotes escaped, control characters as \u00XX.
  EXPECT_NE(header.find("\"config\":\"task: \\\"mnist\\\"\\u000amodel:\\u000a  latent_dim: 5\\u000a\""),
            std::string::npos);
  EXPECT_NE(header.find("\"noise\":\"gaussian\""), std::string::npos);
  EXPECT_NE(header.find("\"layers.fc0.weight\":{\"dtype\":\"F32\",\"shape\":[16,5],\"data_offsets\":[0,320]}"),
            std::string::npos);
  // The data section: every tensor's float32 bytes, in order, and nothing else.
  int64_t total = 0;
  for (const auto& p : g.parameters()) total += p.numel() * 4;
  EXPECT_EQ(bytes.size(), 8 + length + static_cast<size_t>(total));
  float first = 0;
  std::memcpy(&first, bytes.data() + 8 + length, 4);
  EXPECT_EQ(first, g.named_parameters()["layers.fc0.weight"][0][0].item<float>());
}
