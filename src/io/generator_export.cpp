#include "gantrain/io/generator_export.h"

#include <torch/script.h>

#include <cstring>
#include <sstream>
#include <vector>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/models/dcgan.h"
#include "gantrain/models/mlp.h"
#include "io/json_text.h"

namespace gantrain {
namespace {

// TorchScript attribute names cannot hold '.': "layers.fc0.weight" -> "layers_fc0_weight".
std::string flat(std::string name) {
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// A double as a TorchScript float literal that parses back to the same value.
std::string literal(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  std::string text = out.str();
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string attr(const std::string& name) { return "self." + flat(name); }

std::string signature(const ExportInfo& info) {
  return info.num_classes > 0 ? "def forward(self, z: Tensor, labels: Tensor) -> Tensor:\n"
                              : "def forward(self, z: Tensor) -> Tensor:\n";
}

std::string mlp_script(const MlpGeneratorImpl& g, const ExportInfo& info) {
  const MlpOptions& o = g.options();
  std::string s = signature(info);
  // Mirza & Osindero's input: the noise, then the class's learned code (models/mlp.cpp).
  s += info.num_classes > 0 ? "    x = torch.cat([z, torch.embedding(self.embed_weight, labels)], 1)\n"
                            : "    x = z\n";
  const size_t layers = o.hidden.size() + 1;
  for (size_t i = 0; i < layers; ++i) {
    const std::string fc = "layers.fc" + std::to_string(i);
    s += "    x = torch.linear(x, " + attr(fc + ".weight") + ", " + attr(fc + ".bias") + ")\n";
    if (i + 1 == layers) break;
    switch (o.activation) {
      case Activation::kLeakyRelu: s += "    x = torch.leaky_relu(x, " + literal(o.leaky_slope) + ")\n"; break;
      case Activation::kRelu: s += "    x = torch.relu(x)\n"; break;
      case Activation::kTanh: s += "    x = torch.tanh(x)\n"; break;
    }
  }
  switch (o.output) {
    case MlpOutput::kSigmoid: s += "    x = torch.sigmoid(x)\n"; break;
    case MlpOutput::kTanh: s += "    x = torch.tanh(x)\n"; break;
    case MlpOutput::kNone: break;
  }
  if (info.channels > 0)
    return s + "    return x.view([x.size(0), " + std::to_string(info.channels) + ", " +
           std::to_string(info.height) + ", " + std::to_string(info.width) + "])\n";
  return s + "    return x\n";
}

std::string dcgan_script(DcganGeneratorImpl& g, const ExportInfo& info) {
  const DcganOptions& o = g.options();
  const auto modules = g.named_modules("", /*include_self=*/false);
  std::string s = signature(info);
  s += "    x = z.view([z.size(0), " + std::to_string(o.latent_dim) + ", 1, 1])\n";
  const size_t stages = o.g_widths.size();
  for (size_t i = 0; i <= stages; ++i) {
    const std::string up = "layers.up" + std::to_string(i);
    const bool last = i == stages;
    // up0: base x base kernel, stride 1, no padding; then 4x4 kernels, stride 2, padding 1
    // (models/dcgan.cpp). Only the last has a bias.
    s += "    x = torch.conv_transpose2d(x, " + attr(up + ".weight") + ", " +
         (last ? attr(up + ".bias") : "None") +
         (i == 0 ? ", [1, 1], [0, 0], [0, 0], 1, [1, 1])\n" : ", [2, 2], [1, 1], [0, 0], 1, [1, 1])\n");
    if (last) break;
    const std::string bn = "layers.bn" + std::to_string(i);
    const auto* found = modules.find(bn);
    const auto* norm = found ? dynamic_cast<const torch::nn::BatchNorm2dImpl*>(found->get()) : nullptr;
    if (!norm) throw Error("export: the DCGAN generator has no batch norm " + bn);
    const bool affine = norm->options.affine();
    // Eval form: the running statistics, never the batch's.
    s += "    x = torch.batch_norm(x, " + (affine ? attr(bn + ".weight") : "None") + ", " +
         (affine ? attr(bn + ".bias") : "None") + ", " + attr(bn + ".running_mean") + ", " +
         attr(bn + ".running_var") + ", False, 0.0, " + literal(norm->options.eps()) + ", True)\n";
    if (info.num_classes > 0) {
      // Class-conditional batch norm: x * (1 + gain) + bias, "class_bnI" rows [gains, biases].
      const std::string w = std::to_string(o.g_widths[i]);
      s += "    gb = torch.embedding(" + attr("class_bn" + std::to_string(i) + ".weight") + ", labels)\n";
      s += "    x = torch.addcmul(gb.narrow(1, " + w + ", " + w + ").view([x.size(0), " + w +
           ", 1, 1]), x, gb.narrow(1, 0, " + w + ").view([x.size(0), " + w + ", 1, 1]) + 1)\n";
    }
    s += "    x = torch.relu(x)\n";
  }
  return s + "    return torch.tanh(x)\n";
}

struct NamedTensor {
  std::string name;  // as in the checkpoint
  torch::Tensor value;
  bool buffer = false;
};

// The parameters, each weight with a spectral-norm vector "<name>_u" (models/spectral_norm.h)
// divided by its sigma as SpectralNorm::normalize does outside training; the buffers but those
// vectors.
std::vector<NamedTensor> folded_tensors(const torch::nn::Module& g) {
  torch::NoGradGuard no_grad;
  const auto buffers = g.named_buffers();
  std::vector<NamedTensor> out;
  for (const auto& p : g.named_parameters()) {
    torch::Tensor w = p.value().detach();
    if (const torch::Tensor* u = buffers.find(p.key() + "_u"))
      w = w / w.reshape({w.size(0), -1}).t().mv(*u).norm();
    out.push_back({p.key(), w.clone(), false});
  }
  for (const auto& b : buffers)
    if (!ends_with(b.key(), "weight_u")) out.push_back({b.key(), b.value().detach().clone(), true});
  return out;
}

torch::jit::Module build_module(GeneratorImpl& generator, const ExportInfo& info) {
  const std::string source = generator_script(generator, info);
  torch::jit::Module m("Generator");
  for (const auto& t : folded_tensors(generator)) {
    if (t.buffer)
      m.register_buffer(flat(t.name), t.value.to(torch::kCPU));
    else
      m.register_parameter(flat(t.name), t.value.to(torch::kCPU), /*is_buffer=*/false);
  }
  m.register_attribute("latent_dim", c10::IntType::get(), info.latent_dim);
  m.register_attribute("num_classes", c10::IntType::get(), info.num_classes);
  m.register_attribute("noise", c10::StringType::get(), choice_name(info.noise));
  m.register_attribute("channels", c10::IntType::get(), info.channels);
  m.register_attribute("height", c10::IntType::get(), info.height);
  m.register_attribute("width", c10::IntType::get(), info.width);
  m.register_attribute("config", c10::StringType::get(), info.config_yaml);
  m.define(source);
  m.eval();
  return m;
}

// The module must draw what gantrain draws: compared on a few samples before anything is written,
// so a model changed without its script here fails the export, not its users.
void check_same_samples(torch::jit::Module& m, GeneratorImpl& generator, const ExportInfo& info) {
  torch::NoGradGuard no_grad;
  at::Generator rng = at::make_generator<at::CPUGeneratorImpl>(uint64_t{20261206});
  const int64_t n = 4;
  Latents latents(sample_noise(info.noise, n, info.latent_dim, torch::kCPU, rng));
  std::vector<torch::jit::IValue> inputs{latents.noise};
  if (info.num_classes > 0) {
    latents.labels = torch::arange(n, torch::kLong).remainder(info.num_classes);
    inputs.emplace_back(latents.labels);
  }
  const torch::Device device = generator.parameters().front().device();
  const torch::Tensor want = generate_samples(generator, latents.to(device)).to(torch::kCPU);
  const torch::Tensor got = m.forward(inputs).toTensor();
  const double diff = (got.reshape({n, -1}) - want.reshape({n, -1})).abs().max().item<double>();
  if (!(diff <= 1e-4))
    throw Error("export: the TorchScript module differs from the generator by " +
                std::to_string(diff) + " (a model changed without its script in io/generator_export.cpp)");
}

const char* safetensors_dtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return "F32";
    case torch::kLong: return "I64";
    default: return nullptr;
  }
}

}  // namespace

std::string generator_script(GeneratorImpl& generator, const ExportInfo& info) {
  if (info.num_classes != generator.num_classes())
    throw Error("export: " + std::to_string(info.num_classes) + " classes given for a generator of " +
                std::to_string(generator.num_classes()));
  if (auto* mlp = dynamic_cast<MlpGeneratorImpl*>(&generator)) return mlp_script(*mlp, info);
  if (auto* dcgan = dynamic_cast<DcganGeneratorImpl*>(&generator)) return dcgan_script(*dcgan, info);
  throw Error(std::string("export: no TorchScript form for generator type ") + generator.name() +
              " (MlpGenerator and DcganGenerator have one)");
}

void save_generator_torchscript(GeneratorImpl& generator, const ExportInfo& info,
                                const std::string& path, torch::Device device) {
  torch::jit::Module m;
  try {
    m = build_module(generator, info);
    check_same_samples(m, generator, info);
  } catch (const c10::Error& e) {
    throw Error("export: the TorchScript module does not work: " + first_line(e.what()));
  }
  if (!device.is_cpu()) m.to(device);
  write_file_atomic(path, [&](std::ostream& out) { m.save(out); });
}

std::string safetensors_bytes(const torch::nn::Module& generator, const ExportInfo& info) {
  static_assert(sizeof(float) == 4, "float32");
  const uint16_t probe = 1;
  char first = 0;
  std::memcpy(&first, &probe, 1);
  if (first != 1) throw Error("export: safetensors needs a little-endian machine");

  // https://github.com/huggingface/safetensors: an 8-byte little-endian header length, the JSON
  // header (dtype, shape, [begin, end) byte offsets into the data), then the data.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : generator.named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : generator.named_buffers()) tensors.emplace_back(b.key(), b.value());
  std::string header = "{\"__metadata__\":{";
  const std::pair<const char*, std::string> metadata[] = {
      {"format", "pt"},
      {"latent_dim", std::to_string(info.latent_dim)},
      {"num_classes", std::to_string(info.num_classes)},
      {"noise", choice_name(info.noise)},
      {"channels", std::to_string(info.channels)},
      {"height", std::to_string(info.height)},
      {"width", std::to_string(info.width)},
      {"config", info.config_yaml}};
  for (size_t i = 0; i < std::size(metadata); ++i)
    header += (i ? "," : "") + json_quoted(metadata[i].first) + ":" + json_quoted(metadata[i].second);
  header += "}";
  std::string data;
  for (auto& [name, value] : tensors) {
    torch::Tensor t = value.detach().to(torch::kCPU);
    if (t.is_floating_point()) t = t.to(torch::kFloat);
    const char* dtype = safetensors_dtype(t.scalar_type());
    if (!dtype) throw Error("export: " + name + " has a type safetensors export does not take");
    t = t.contiguous();
    const size_t begin = data.size();
    data.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
    std::string shape;
    for (int64_t d : t.sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    header += "," + json_quoted(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string out(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return out + header + data;
}

void save_generator_safetensors(const torch::nn::Module& generator, const ExportInfo& info,
                                const std::string& path) {
  write_file_atomic(path, safetensors_bytes(generator, info));
}

}  // namespace gantrain
