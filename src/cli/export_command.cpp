// `gantrain export`: a run's generator as a TorchScript module or a safetensors file.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/cli.h"
#include "gantrain/error.h"
#include "gantrain/export.h"

namespace gantrain::cli {

int run_export(int argc, char** argv) {
  cxxopts::Options options(
      "gantrain export",
      "Write a run's generator as a file that runs without gantrain (docs/export.md): a "
      "TorchScript module\nfor torch.jit.load / torch::jit::load, or its tensors as safetensors.\n");
  options.custom_help("--checkpoint RUN_DIR_OR_PT [--out FILE] [--format torchscript|safetensors] [options]");
  // clang-format off
  options.add_options()
    ("checkpoint", "checkpoint file or run directory (uses checkpoints/latest.pt)", cxxopts::value<std::string>())
    ("o,out", "file to write; default: generator.pt (torchscript) or generator.safetensors in the run directory", cxxopts::value<std::string>())
    ("format", "torchscript or safetensors", cxxopts::value<std::string>()->default_value("torchscript"))
    ("raw-generator", "export G itself even where the run kept its EMA (train.ema_decay)")
    ("device", "torchscript: where the module's tensors are saved (cpu, cuda, cuda:N or auto)", cxxopts::value<std::string>()->default_value("cpu"))
    ("log-level", kLogLevelHelp, cxxopts::value<std::string>()->default_value("info"))
    ("h,help", "this help");
  // clang-format on
  auto args = parse_arguments(options, "gantrain export", argc, argv);
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  if (!args.count("checkpoint"))
    throw ConfigError("gantrain export: --checkpoint RUN_DIR_OR_PT is required");
  ExportRequest request;
  request.checkpoint = args["checkpoint"].as<std::string>();
  const std::string format = args["format"].as<std::string>();
  if (auto parsed = parse_choice<ExportFormat>(format))
    request.format = *parsed;
  else
    throw ConfigError("--format '" + format + "': expected " + choice_list<ExportFormat>());
  const std::string device = args["device"].as<std::string>();
  if (auto parsed = parse_device_choice(device))
    request.device = *parsed;
  else
    throw ConfigError("--device '" + device + "': expected " + kDeviceChoices);
  request.raw_generator = args.count("raw-generator") > 0;
  if (args.count("out")) request.out = args["out"].as<std::string>();
  spdlog::info("wrote {}", export_generator(request));
  return 0;
}

}  // namespace gantrain::cli
