// MLP GAN on 28x28 MNIST-format digits (MNIST, Fashion-MNIST), images in [-1, 1].
#include <cstdlib>
#include <filesystem>

#include "gantrain/data/idx.h"
#include "gantrain/error.h"
#include "gantrain/io/png.h"
#include "gantrain/model_factory.h"
#include "tasks/tasks.h"

namespace gantrain::detail {
namespace {

constexpr int64_t kSide = kMnistSide;
constexpr int64_t kPixels = kSide * kSide;
constexpr int64_t kClasses = 10;
constexpr SampleShape kShape{kPixels, 1, kSide, kClasses};
constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

// The first `n` labels of a split as int64 (load_mnist_split checked them: one per image, 0-9).
torch::Tensor class_labels(const MnistSplit& split, int64_t n) {
  return torch::from_blob(const_cast<uint8_t*>(split.labels.data.data()), {n}, torch::kByte)
      .to(torch::kLong);
}

class Mnist : public Task {
 public:
  explicit Mnist(const Config& config) : config_(config) {}
  std::string title() const override { return choice_name(config_.data.dataset); }
  void prepare(Config& config, bool announce) override {
    (void)announce;
    if (config.data.classes != 0 && config.data.classes != kClasses)
      throw ConfigError("data.classes = " + std::to_string(config.data.classes) + ": " +
                        title() + " has 10 classes");
  }
  SampleShape sample_shape() const override { return kShape; }
  Generator make_generator() const override {
    return gantrain::make_generator(config_, kShape, MlpOutput::kTanh);
  }
  Discriminator make_discriminator() const override {
    return gantrain::make_discriminator(config_, kShape);
  }

  std::unique_ptr<BatchSource> make_data(torch::Device device, Shard shard) const override {
    MnistSplit train = load_mnist_data(config_.data, "train");
    int64_t n = train.images.dims[0];
    if (config_.data.limit > 0) n = std::min(n, config_.data.limit);
    if (config_.train.batch_size > n)
      throw ConfigError("train.batch_size = " + std::to_string(config_.train.batch_size) +
                        ": larger than the " + std::to_string(n) + " training images");
    // One resident uint8 tensor; batches are converted to float as they are drawn.
    torch::Tensor images =
        torch::from_blob(train.images.data.data(), {n, kPixels}, torch::kByte)
            .to(torch::TensorOptions().device(device), /*non_blocking=*/false, /*copy=*/true);
    torch::Tensor labels;  // only a conditional run reads them
    if (config_.model.conditional) labels = class_labels(train, n).to(device);
    return std::make_unique<TensorBatches>(images, config_.train.batch_size, shard,
                                           config_.data.mirror ? kSide : 0, labels);
  }

  std::vector<std::string> eval_groups() const override {
    return {"fid", "is", "modes", "pr", "parzen", "classes"};
  }
  std::unique_ptr<Evaluator> make_evaluator(const std::vector<std::string>& groups,
                                            torch::Device device) const override {
    return make_mnist_evaluator(config_, groups, device);
  }

  SampleKind sample_kind() const override { return SampleKind::kImageGrid; }
  std::string encode_samples(const torch::Tensor& samples, int64_t nrow,
                             int64_t scale) const override {
    torch::Tensor pixels = samples.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return encode_png(upscale(
        make_grid(pixels.data_ptr<float>(), pixels.size(0), 1, kSide, kSide, nrow), scale));
  }

 private:
  Config config_;
};

}  // namespace

std::string mnist_data_directory(const DataConfig& data) {
  if (!data.dir.empty()) return data.dir;
  // The environment variables let a machine keep the data elsewhere (scripts/cuda_check.sh).
  const bool fashion = data.dataset == Dataset::kFashionMnist;
  const char* env = std::getenv(fashion ? "GANTRAIN_FASHION_MNIST" : "GANTRAIN_DATA");
  if (env && *env) return env;
  return fashion ? kFashionDir : "data/mnist";
}

MnistSplit load_mnist_data(const DataConfig& data, const std::string& split) {
  const std::string dir = mnist_data_directory(data);
  if (!std::filesystem::is_directory(dir))
    throw Error(dir + ": data directory not found. " +
                (data.dataset == Dataset::kFashionMnist
                     ? std::string("Fashion-MNIST: apt-get install dataset-fashion-mnist puts it "
                                   "in ") + kFashionDir + " (the default without --data-dir)"
                     : "Get MNIST with scripts/get_mnist.sh " + dir + ", or Fashion-MNIST "
                       "from Debian (apt-get install dataset-fashion-mnist) and pass --dataset "
                       "fashion-mnist"));
  MnistSplit loaded = load_mnist_split(dir, split);
  const auto& dims = loaded.images.dims;
  if (dims[1] != kMnistSide || dims[2] != kMnistSide)
    throw Error(dir + ": " + split + " images are " + std::to_string(dims[1]) + "x" +
                std::to_string(dims[2]) + ", this task expects 28x28");
  return loaded;
}

TaskEntry mnist_task() {
  TaskEntry entry;
  entry.name = "mnist";
  entry.summary = "MLP GAN on 28x28 MNIST-format images (MNIST, Fashion-MNIST)";
  entry.set_defaults = [](Config& c) {
    c.model.latent_dim = 100;
    c.model.noise = NoiseKind::kGaussian;
    c.model.g_hidden = {256, 512, 1024};
    c.model.d_hidden = {1024, 512, 256};
    c.model.activation = Activation::kLeakyRelu;
    c.model.leaky_slope = 0.2;
    c.model.dropout = 0.3;
    c.train.steps = 0;
    c.train.epochs = 30;
    c.train.batch_size = 100;
    c.train.lr_g = 2e-4;
    c.train.lr_d = 2e-4;
    c.train.order = StepOrder::kDiscriminatorFirst;
    c.log.every = 100;
    c.log.sample_every = 600;
    c.log.checkpoint_every = 600;
  };
  entry.create = [](const Config& c) { return std::make_unique<Mnist>(c); };
  return entry;
}

}  // namespace gantrain::detail
