// Writes a damaged copy of a checkpoint, for the bad-input tests: everything of IN.pt except
// what the edit replaces or drops.
//   make_bad_checkpoint IN.pt OUT.pt config-from=OTHER.pt   the other run's config, IN's weights
//   make_bad_checkpoint IN.pt OUT.pt config-text=YAML       a config this gantrain rejects
//   make_bad_checkpoint IN.pt OUT.pt drop=KEY               without one entry (format, optimizer_g...)
#include <torch/torch.h>

#include <cstdio>
#include <string>

namespace {

using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

// Copies every entry: nested archives (modules), parameters, buffers, then plain values.
void copy(InputArchive& in, OutputArchive& out, const std::string& skip,
          const std::string& replace_key, const c10::IValue& replacement) {
  for (const auto& key : in.keys()) {
    if (key == skip) continue;
    if (key == replace_key) {
      out.write(key, replacement);
      continue;
    }
    InputArchive nested;
    torch::Tensor tensor;
    c10::IValue value;
    if (in.try_read(key, nested)) {
      OutputArchive nested_out;
      copy(nested, nested_out, "", "", {});
      out.write(key, nested_out);
    } else if (in.try_read(key, tensor)) {
      out.write(key, tensor);
    } else if (in.try_read(key, tensor, /*is_buffer=*/true)) {
      out.write(key, tensor, /*is_buffer=*/true);
    } else if (in.try_read(key, value)) {
      out.write(key, value);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_bad_checkpoint IN.pt OUT.pt config-from=PT|config-text=YAML|drop=KEY\n");
    return 2;
  }
  const std::string edit = argv[3];
  auto value_after = [&](const std::string& prefix) {
    return edit.rfind(prefix, 0) == 0 ? edit.substr(prefix.size()) : std::string();
  };
  try {
    InputArchive in;
    in.load_from(argv[1]);
    std::string skip, replace_key;
    c10::IValue replacement;
    if (auto other = value_after("config-from="); !other.empty()) {
      InputArchive donor;
      donor.load_from(other);
      donor.read("config", replacement);
      replace_key = "config";
    } else if (edit.rfind("config-text=", 0) == 0) {
      replacement = c10::IValue(value_after("config-text="));
      replace_key = "config";
    } else if (auto key = value_after("drop="); !key.empty()) {
      skip = key;
    } else {
      std::fprintf(stderr, "make_bad_checkpoint: unknown edit %s\n", edit.c_str());
      return 2;
    }
    OutputArchive out;
    copy(in, out, skip, replace_key, replacement);
    out.save_to(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_bad_checkpoint: %s\n", e.what());
    return 1;
  }
  return 0;
}
