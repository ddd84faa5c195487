#pragma once
/// The config's choices as enums (DESIGN.md section 12). One table per choice names its values;
/// the config parses a name into the enum once, at the edge, and prints it back from the same
/// table, which also gives the list in --help and in error messages. Code switches on the enum.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gantrain {

enum class ModelArch { kMlp, kDcgan };
enum class NoiseKind { kBits, kGaussian, kUniform };
enum class Activation { kLeakyRelu, kRelu, kTanh };
enum class StepOrder { kGeneratorFirst, kDiscriminatorFirst };
enum class OnNan { kStop, kSkip };
enum class LossKind { kBce, kHinge, kLsgan };
enum class Precision { kFp32, kBf16 };
enum class DistBackend { kAuto, kGloo, kNccl };
enum class DeviceKind { kAuto, kCpu, kCuda };
enum class Dataset { kMnist, kFashionMnist };
enum class FitMode { kCrop, kPad, kStretch };
enum class OnBadFile { kSkip, kError };
enum class Augment { kNone, kDiffAugment };
/// What a task's sample files hold; the name is the file extension.
enum class SampleKind { kImageGrid, kText };
/// What `gantrain sample` writes: the task's own (a PNG grid, PNG files, text) or one array.
enum class SampleFormat { kPng, kNpy };

/// One value of a choice: its name in configs and on the command line, and what it means
/// (may be empty).
template <class E>
struct Choice {
  E value;
  const char* name;
  const char* help;
};

/// The table of choice E, in the order --help lists it (specialised below, one per choice).
template <class E>
struct Choices;

// clang-format off
template <> struct Choices<ModelArch> {
  static constexpr Choice<ModelArch> table[] = {
      {ModelArch::kMlp, "mlp", "the seed's MLPs"},
      {ModelArch::kDcgan, "dcgan", "convolutional, image tasks"}};
};
template <> struct Choices<NoiseKind> {
  static constexpr Choice<NoiseKind> table[] = {
      {NoiseKind::kBits, "bits", "{0, 1}"},
      {NoiseKind::kGaussian, "gaussian", "N(0, 1)"},
      {NoiseKind::kUniform, "uniform", "[-1, 1]"}};
};
template <> struct Choices<Activation> {
  static constexpr Choice<Activation> table[] = {
      {Activation::kLeakyRelu, "leaky_relu", ""},
      {Activation::kRelu, "relu", ""},
      {Activation::kTanh, "tanh", ""}};
};
template <> struct Choices<StepOrder> {
  static constexpr Choice<StepOrder> table[] = {
      {StepOrder::kGeneratorFirst, "g-first", "the even-bits toy"},
      {StepOrder::kDiscriminatorFirst, "d-first", "the paper"}};
};
template <> struct Choices<OnNan> {
  static constexpr Choice<OnNan> table[] = {
      {OnNan::kStop, "stop", "error, keep the last checkpoint"},
      {OnNan::kSkip, "skip", "leave the update out"}};
};
template <> struct Choices<LossKind> {
  static constexpr Choice<LossKind> table[] = {
      {LossKind::kBce, "bce", "the paper's, non-saturating G"},
      {LossKind::kHinge, "hinge", ""},
      {LossKind::kLsgan, "lsgan", "least squares"}};
};
template <> struct Choices<Precision> {
  static constexpr Choice<Precision> table[] = {
      {Precision::kFp32, "fp32", ""},
      {Precision::kBf16, "bf16", "bfloat16 products; fast with AMX, AVX512-BF16 or a GPU"}};
};
template <> struct Choices<DistBackend> {
  static constexpr Choice<DistBackend> table[] = {
      {DistBackend::kAuto, "auto", "NCCL on CUDA, Gloo on CPU"},
      {DistBackend::kGloo, "gloo", ""},
      {DistBackend::kNccl, "nccl", ""}};
};
template <> struct Choices<DeviceKind> {
  static constexpr Choice<DeviceKind> table[] = {
      {DeviceKind::kCpu, "cpu", ""},
      {DeviceKind::kCuda, "cuda", "cuda:N for GPU N"},
      {DeviceKind::kAuto, "auto", "the first GPU if there is one, else the CPU"}};
};
template <> struct Choices<Dataset> {
  static constexpr Choice<Dataset> table[] = {
      {Dataset::kMnist, "mnist", ""},
      {Dataset::kFashionMnist, "fashion-mnist", ""}};
};
template <> struct Choices<FitMode> {
  static constexpr Choice<FitMode> table[] = {
      {FitMode::kCrop, "crop", "centre-crop the long side, then resize"},
      {FitMode::kPad, "pad", "letterbox on black"},
      {FitMode::kStretch, "stretch", "resize without keeping the aspect ratio"}};
};
template <> struct Choices<OnBadFile> {
  static constexpr Choice<OnBadFile> table[] = {
      {OnBadFile::kSkip, "skip", "list it and go on"},
      {OnBadFile::kError, "error", "stop with its name"}};
};
template <> struct Choices<Augment> {
  static constexpr Choice<Augment> table[] = {
      {Augment::kNone, "none", ""},
      {Augment::kDiffAugment, "diffaugment", "colour, translation and cutout on every image D sees"}};
};
template <> struct Choices<SampleKind> {
  static constexpr Choice<SampleKind> table[] = {
      {SampleKind::kImageGrid, "png", "a PNG grid of images"},
      {SampleKind::kText, "txt", "one line of text"}};
};
template <> struct Choices<SampleFormat> {
  static constexpr Choice<SampleFormat> table[] = {
      {SampleFormat::kPng, "png", "a grid with --out, one file per sample with --out-dir; text for even-bits"},
      {SampleFormat::kNpy, "npy", "one float32 array [N, C, H, W] in [-1, 1] (even-bits: [N, 7])"}};
};
// clang-format on

/// The name of `value` in its table.
template <class E>
std::string choice_name(E value) {
  for (const auto& c : Choices<E>::table)
    if (c.value == value) return c.name;
  return "?";  // unreachable for a value of the enum
}

/// The value named `name`; nullopt when the table has no such name.
template <class E>
std::optional<E> parse_choice(std::string_view name) {
  for (const auto& c : Choices<E>::table)
    if (name == c.name) return c.value;
  return std::nullopt;
}

/// "a, b or c", each name followed by its help in parentheses when `with_help`.
template <class E>
std::string choice_list(bool with_help = false) {
  std::string out;
  const size_t n = std::size(Choices<E>::table);
  for (size_t i = 0; i < n; ++i) {
    const auto& c = Choices<E>::table[i];
    out += (i == 0 ? "" : i + 1 == n ? " or " : ", ") + std::string(c.name);
    if (with_help && *c.help) out += std::string(" (") + c.help + ")";
  }
  return out;
}

/// train.device and the subcommands' --device: a kind and, for "cuda:N", the GPU index.
struct DeviceChoice {
  DeviceKind kind = DeviceKind::kAuto;
  int64_t index = -1;  ///< N of cuda:N; -1 = not given (GPU 0, or the rank's GPU)
  bool operator==(const DeviceChoice& o) const { return kind == o.kind && index == o.index; }
};

/// Parses "cpu", "cuda", "cuda:N" (N of at most 3 digits) or "auto".
std::optional<DeviceChoice> parse_device_choice(std::string_view text);

/// What parse_device_choice accepts, for messages: "cpu, cuda, cuda:N or auto".
constexpr const char* kDeviceChoices = "cpu, cuda, cuda:N or auto";

/// The text parse_device_choice reads back.
std::string device_choice_name(const DeviceChoice& device);

}  // namespace gantrain
