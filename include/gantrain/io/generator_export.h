#pragma once
/// A trained generator as a file that runs without gantrain (docs/export.md): a TorchScript
/// module (PyTorch's torch.jit.load, LibTorch's torch::jit::load) or its tensors as safetensors.
/// <torch/script.h> stays inside generator_export.cpp.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "gantrain/choices.h"
#include "gantrain/models/gan_modules.h"

namespace gantrain {

/// What an exported file says about its generator beside the weights (the module's attributes,
/// safetensors' __metadata__).
struct ExportInfo {
  int64_t latent_dim = 0;                  ///< noise features per sample
  int64_t num_classes = 0;                 ///< classes of a conditional G; 0 = unconditional
  NoiseKind noise = NoiseKind::kGaussian;  ///< the noise G was trained on
  int64_t channels = 0;                    ///< image channels; 0 for vectors (even-bits)
  int64_t height = 1;                      ///< image height; 1 for vectors
  int64_t width = 0;                       ///< image width; the features for vectors
  std::string config_yaml;                 ///< the run's resolved config
};

/// The TorchScript source of `generator`'s forward(): `forward(self, z: Tensor) -> Tensor`, or
/// `forward(self, z: Tensor, labels: Tensor) -> Tensor` when conditional; z [N, latent_dim] ->
/// images [N, C, H, W] in [-1, 1], or [N, features] for vectors. ATen builtins only. Throws
/// gantrain::Error for a generator that is neither an MLP nor a DCGAN.
std::string generator_script(GeneratorImpl& generator, const ExportInfo& info);

/// Writes `generator` as a TorchScript module to `path`, atomically: its parameters and buffers
/// (names with '.' as '_', spectral norm folded into the weights) on `device`, batch norm in eval
/// form, the attributes of ExportInfo and generator_script()'s forward.
void save_generator_torchscript(GeneratorImpl& generator, const ExportInfo& info,
                                const std::string& path, torch::Device device = torch::kCPU);

/// `generator`'s parameters and buffers under their checkpoint names (float32, integer buffers
/// int64) in the safetensors format, with `info` as __metadata__ strings ("config" and the
/// attribute names).
std::string safetensors_bytes(const torch::nn::Module& generator, const ExportInfo& info);

/// Writes safetensors_bytes() to `path`, atomically.
void save_generator_safetensors(const torch::nn::Module& generator, const ExportInfo& info,
                                const std::string& path);

}  // namespace gantrain
