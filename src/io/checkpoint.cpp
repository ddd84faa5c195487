#include "gantrain/io/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"

namespace fs = std::filesystem;

namespace gantrain {

void write_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  write_file_atomic(path, [&](std::ostream& out) { archive.save_to(out); });
}

void save_checkpoint(torch::serialize::OutputArchive& archive, const RunDir& run, int64_t step,
                     int64_t keep) {
  const std::string path = run.checkpoint_path(step);
  write_archive(archive, path);
  // latest.pt is a hard link to the newest step file: no second write of the same bytes.
  const std::string latest = run.latest_checkpoint();
  const std::string tmp = latest + ".tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_hard_link(path, tmp, ec);
  if (ec) {
    fs::copy_file(path, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(tmp + ": cannot write: " + ec.message());
  }
  fs::rename(tmp, latest, ec);
  if (ec) throw Error(latest + ": cannot replace: " + ec.message());

  if (keep <= 0) return;
  std::vector<std::string> steps;
  for (const auto& entry : fs::directory_iterator(run.checkpoints_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) == 0 && entry.path().extension() == ".pt")
      steps.push_back(entry.path().string());
  }
  std::sort(steps.begin(), steps.end());  // zero-padded names sort by step
  for (size_t i = 0; i + static_cast<size_t>(keep) < steps.size(); ++i) fs::remove(steps[i], ec);
}

torch::serialize::InputArchive read_archive(const std::string& path, torch::Device device) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
  } catch (const std::exception& e) {
    throw Error(path + ": not a readable checkpoint (truncated or corrupt?): " +
                first_line(e.what()));
  }
  c10::IValue format;
  if (!archive.try_read("format", format) || !format.isInt())
    throw Error(path + ": not a gantrain checkpoint (no format version)");
  if (format.toInt() != kCheckpointFormat)
    throw Error(path + ": checkpoint format " + std::to_string(format.toInt()) +
                ", this gantrain reads format " + std::to_string(kCheckpointFormat));
  return archive;
}

}  // namespace gantrain
