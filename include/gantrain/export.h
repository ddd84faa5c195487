#pragma once
/// `gantrain export`: a run's generator as a file that runs without gantrain (docs/export.md).
#include <cstdint>
#include <string>

#include "gantrain/choices.h"

namespace gantrain {

/// The file formats of an exported generator.
enum class ExportFormat { kTorchScript, kSafetensors };

/// `--format`'s names (choices.h).
template <> struct Choices<ExportFormat> {
  static constexpr Choice<ExportFormat> table[] = {
      {ExportFormat::kTorchScript, "torchscript", "a TorchScript module with forward(z[, labels])"},
      {ExportFormat::kSafetensors, "safetensors", "the generator's tensors and the run's config"}};
};

/// What `gantrain export` does.
struct ExportRequest {
  std::string checkpoint;  ///< checkpoint file or run directory
  ExportFormat format = ExportFormat::kTorchScript;
  /// File to write; empty = generator.pt (TorchScript) or generator.safetensors in the run directory.
  std::string out;
  bool raw_generator = false;  ///< G itself even where the run kept an EMA of it
  DeviceChoice device{DeviceKind::kCpu};  ///< where the TorchScript module's tensors are saved
};

/// Writes the checkpoint's generator (its EMA unless raw_generator) in `format`; returns the file
/// written. Throws gantrain::Error naming the checkpoint or the output file.
std::string export_generator(const ExportRequest& request);

}  // namespace gantrain
