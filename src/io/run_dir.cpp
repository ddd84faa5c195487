#include "gantrain/io/run_dir.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "gantrain/error.h"
#include "gantrain/io/eval_json.h"

namespace fs = std::filesystem;

namespace gantrain {
namespace {

std::string step_name(int64_t step, const std::string& extension) {
  char name[64];
  std::snprintf(name, sizeof name, "step_%06lld.%s", static_cast<long long>(step), extension.c_str());
  return name;
}

}  // namespace

std::string RunDir::checkpoint_path(int64_t step) const {
  return checkpoints_dir() + "/" + step_name(step, "pt");
}

std::string RunDir::sample_path(int64_t step, const std::string& extension) const {
  return root + "/samples/" + step_name(step, extension);
}

std::string default_run_root(const std::string& task) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + task + "-" + stamp;
}

RunDir create_run_dir(const std::string& root) {
  RunDir run{root};
  std::error_code ec;
  for (const std::string& dir : {root, root + "/samples", run.checkpoints_dir()}) {
    fs::create_directories(dir, ec);
    if (ec) throw Error(dir + ": cannot create the run directory: " + ec.message());
    // One run writes a directory at a time: a .tmp file here is what a killed one left behind.
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".tmp") fs::remove(entry.path(), ec);
  }
  if (::access(root.c_str(), W_OK) != 0)
    throw Error(root + ": the run directory is not writable");
  return run;
}

void drop_steps_after(const RunDir& run, int64_t step) {
  std::error_code ec;
  int64_t checkpoints = 0, samples = 0;
  for (const StepFile& file : step_files(run.checkpoints_dir(), "pt"))
    if (file.step > step && fs::remove(file.path, ec)) ++checkpoints;
  for (const char* extension : {"png", "txt"})
    for (const StepFile& file : step_files(run.samples_dir(), extension))
      if (file.step > step && fs::remove(file.path, ec)) ++samples;
  // latest.pt is a hard link to the newest step file: where that one is gone, so must it be.
  const std::vector<std::string> kept = step_checkpoints(run);
  const std::string latest = run.latest_checkpoint();
  if (fs::exists(latest, ec) &&
      std::none_of(kept.begin(), kept.end(),
                   [&](const std::string& f) { return fs::equivalent(f, latest, ec); })) {
    fs::remove(latest, ec);
    if (!kept.empty()) fs::create_hard_link(kept.back(), latest, ec);
  }
  bool eval = false;
  try {
    const auto record = read_eval_json(run.eval_path());
    eval = record && record->step > step && fs::remove(run.eval_path(), ec);
  } catch (const Error&) {
    // A damaged eval.json is the report's to mention, not a reason to stop a resume.
  }
  if (checkpoints + samples > 0 || eval)
    spdlog::info("dropped what came after step {}, which this run redoes: {} checkpoint(s), {} "
                 "sample file(s){}", step, checkpoints, samples, eval ? ", eval.json" : "");
}

std::string run_dir_of_checkpoint(const std::string& checkpoint) {
  fs::path dir = fs::path(checkpoint).parent_path();
  if (dir.filename() == "checkpoints") dir = dir.parent_path();
  return dir.empty() ? "." : dir.string();
}

bool holds_run(const std::string& root) {
  // A run killed before its first checkpoint saved nothing: starting it over loses nothing.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(RunDir{root}.checkpoints_dir(), ec))
    if (entry.path().extension() == ".pt") return true;
  return false;
}

std::vector<std::string> step_checkpoints(const RunDir& run) {
  std::vector<std::string> paths;
  for (const StepFile& file : step_files(run.checkpoints_dir(), "pt")) paths.push_back(file.path);
  return paths;
}

std::vector<StepFile> step_files(const std::string& directory, const std::string& extension) {
  std::vector<StepFile> out;
  const std::string suffix = "." + extension;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= 5 + suffix.size() || name.compare(0, 5, "step_") != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string digits = name.substr(5, name.size() - 5 - suffix.size());
    if (digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back({std::stoll(digits), it->path().string()});
  }
  std::sort(out.begin(), out.end(),
            [](const StepFile& a, const StepFile& b) { return a.step < b.step; });
  return out;
}

std::string resolve_checkpoint(const std::string& path_or_run_dir) {
  std::error_code ec;
  if (fs::is_directory(path_or_run_dir, ec)) {
    std::string latest = RunDir{path_or_run_dir}.latest_checkpoint();
    if (!fs::exists(latest, ec))
      throw Error(path_or_run_dir + ": no checkpoints/latest.pt in this run directory");
    return latest;
  }
  if (!fs::exists(path_or_run_dir, ec)) throw Error(path_or_run_dir + ": checkpoint not found");
  return path_or_run_dir;
}

std::string cache_directory() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  std::string dir = env("GANTRAIN_CACHE");
  if (dir.empty() && !env("XDG_CACHE_HOME").empty()) dir = env("XDG_CACHE_HOME") + "/gantrain";
  if (dir.empty() && !env("HOME").empty()) dir = env("HOME") + "/.cache/gantrain";
  if (dir.empty()) throw Error("no cache directory: set GANTRAIN_CACHE or HOME");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create the cache directory: " + ec.message());
  return dir;
}

}  // namespace gantrain
