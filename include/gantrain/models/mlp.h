#pragma once
/// Multi-layer perceptrons: the seed generator and discriminator of both tasks.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gantrain/models/gan_modules.h"
#include "gantrain/models/spectral_norm.h"

namespace gantrain {

/// The nonlinearity after an MLP's last layer.
enum class MlpOutput { kNone, kSigmoid, kTanh };

/// Shape of an MLP: in -> hidden... -> out, an activation after each hidden layer.
struct MlpOptions {
  int64_t in = 0;                         ///< input features
  std::vector<int64_t> hidden;            ///< hidden widths, may be empty
  int64_t out = 0;                        ///< output features
  Activation activation = Activation::kLeakyRelu;  ///< after each hidden layer
  double leaky_slope = 0.2;               ///< negative slope of leaky_relu
  double dropout = 0.0;                   ///< dropout after each hidden activation
  MlpOutput output = MlpOutput::kNone;    ///< after the last layer
  bool spectral_norm = false;             ///< spectrally normalised weights (discriminators)
  /// > 0: class-conditional (DESIGN.md section 12). G: a learned class embedding "embed"
  /// [classes, classes] concatenated after the noise (fc0 takes in + classes). D: a projection
  /// discriminator (Miyato & Koyama 2018): "embed" [classes, last hidden width], zero at start,
  /// adds <embed[y], h> to the logit, h the last hidden layer's output.
  int64_t num_classes = 0;
};

/// The layers of an MLP, registered on the module that owns them as "layers" with linear layers
/// "fc0", "fc1", ... (the checkpoint schema of every gantrain MLP).
class MlpLayers {
 public:
  MlpLayers(torch::nn::Module& owner, MlpOptions options);
  /// [N, in] -> [N, out]; dropout only while `owner` trains.
  torch::Tensor forward(const torch::Tensor& x, bool training) { return head(hidden(x, training)); }
  /// [N, in] -> the last hidden layer's output [N, last hidden width] (the input where there are
  /// no hidden layers), after its activation and dropout.
  torch::Tensor hidden(const torch::Tensor& x, bool training);
  /// The last linear layer and the output nonlinearity on hidden()'s output.
  torch::Tensor head(const torch::Tensor& h);
  /// Width of hidden()'s output.
  int64_t hidden_width() const;
  const MlpOptions& options() const { return options_; }

 private:
  MlpOptions options_;
  std::vector<torch::nn::Linear> linear_;
  std::vector<SpectralNorm> norm_;  // one per linear layer; disabled without spectral_norm
};

/// MLP generator: noise [N, in] (with labels when conditional) -> samples [N, out].
class MlpGeneratorImpl : public GeneratorImpl {
 public:
  explicit MlpGeneratorImpl(MlpOptions options);
  torch::Tensor forward(const Latents& latents) override;
  int64_t num_classes() const override { return options_.num_classes; }
  /// The options it was built with (in = latent_dim, without the class embedding's width).
  const MlpOptions& options() const { return options_; }

 private:
  MlpOptions options_;
  MlpLayers layers_;
  torch::nn::Embedding embed_{nullptr};  // conditional only
};

/// MLP discriminator: samples [N, in] (with labels when conditional) -> logits [N, out = 1].
class MlpDiscriminatorImpl : public DiscriminatorImpl {
 public:
  explicit MlpDiscriminatorImpl(MlpOptions options);
  torch::Tensor forward(const Batch& batch) override;

 private:
  MlpLayers layers_;
  torch::nn::Embedding embed_{nullptr};  // conditional only: the projection's class vectors
};

/// The parameter count of an MLP of these widths.
int64_t mlp_parameter_count(const std::vector<int64_t>& hidden, int64_t in, int64_t out);

}  // namespace gantrain
