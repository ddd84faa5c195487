#include "gantrain/export.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "gantrain/device.h"
#include "gantrain/io/generator_export.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/run/trained_generator.h"

namespace gantrain {

std::string export_generator(const ExportRequest& request) {
  const torch::Device device = resolve_device(request.device);
  // Read on the CPU: the TorchScript writer puts the module's tensors on `device`.
  TrainedGenerator trained = load_trained_generator(request.checkpoint, torch::kCPU, request.raw_generator);
  spdlog::info("exporting {} at step {}", trained.ema ? "the generator EMA" : "the generator",
               trained.step);
  const Config& config = trained.config;
  ExportInfo info;
  info.latent_dim = config.model.latent_dim;
  info.num_classes = trained.generator->num_classes();
  info.noise = config.model.noise;
  const SampleShape shape = trained.task->sample_shape();
  info.channels = shape.channels;
  info.height = shape.channels > 0 ? shape.side : 1;
  info.width = shape.channels > 0 ? shape.side : shape.features;
  info.config_yaml = to_yaml(config);

  const bool script = request.format == ExportFormat::kTorchScript;
  std::string out = request.out;
  if (out.empty())
    out = (std::filesystem::path(run_dir_of_checkpoint(trained.path)) /
           (script ? "generator.pt" : "generator.safetensors")).string();
  if (script)
    save_generator_torchscript(*trained.generator, info, out, device);
  else
    save_generator_safetensors(*trained.generator, info, out);
  return out;
}

}  // namespace gantrain
