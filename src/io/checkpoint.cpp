#include "gantrain/io/checkpoint.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/run_state.h"
#include "gantrain/io/zip_check.h"

namespace fs = std::filesystem;

namespace gantrain {
namespace {

uint64_t address_space_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// LibTorch compiles the TorchScript code a checkpoint carries and unpickles its data without
// bounds: fuzz_checkpoint crashed its type parser and made its unpickler allocate 24 GB from a
// crafted memo index. A file damaged by accident never gets that far (the CRC check), a crafted
// one might; so LibTorch parses it first in a forked child with capped memory and time, and a
// crash or blow-up there becomes an error here.
void probe_in_child(const std::string& bytes, const std::string& path) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return;  // cannot probe: the real load still reports errors
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return;
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    rlimit cap{};
    cap.rlim_cur = cap.rlim_max = address_space_bytes() + 16 * bytes.size() + (uint64_t{1} << 30);
    ::setrlimit(RLIMIT_AS, &cap);
    ::alarm(60);  // a loader stuck in a loop is killed by SIGALRM and reported like a crash
    std::string error;
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(bytes.data(), bytes.size(), torch::Device(torch::kCPU));
    } catch (const std::bad_alloc&) {
      error = "LibTorch's loader asks for far more memory than the file holds";
    } catch (const std::exception& e) {
      error = first_line(e.what());
    }
    if (!error.empty() && ::write(pipe_fds[1], error.data(), error.size()) < 0) _exit(2);
    _exit(error.empty() ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string error;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;)
    if (n > 0) error.append(buffer, static_cast<size_t>(n));
    else if (errno != EINTR) break;
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    throw Error(path + ": not a readable checkpoint (LibTorch's loader crashed on it with signal " +
                std::to_string(WTERMSIG(status)) + "; a crafted or corrupt file)");
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw Error(path + ": not a readable checkpoint (truncated or corrupt?): " + error);
}

}  // namespace

void write_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  // Into memory first: when a write fails part-way (a full disk), LibTorch 1.13's zip writer
  // throws again from its destructor, and that ends the process (std::terminate).
  std::string bytes;
  archive.save_to([&](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  write_file_atomic(path, bytes);
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
  const std::vector<std::string> steps = step_checkpoints(run);
  for (size_t i = 0; i + static_cast<size_t>(keep) < steps.size(); ++i) fs::remove(steps[i], ec);
}

OpenedCheckpoint open_newest_valid_checkpoint(const std::string& path_or_run_dir,
                                              torch::Device device) {
  auto open = [&](const std::string& path) {
    OpenedCheckpoint opened{path, read_archive(path, device), ""};
    opened.config_yaml = read_run_config(opened.archive, path);
    return opened;
  };
  std::error_code ec;
  if (!fs::is_directory(path_or_run_dir, ec)) return open(resolve_checkpoint(path_or_run_dir));
  const RunDir run{path_or_run_dir};
  std::vector<std::string> candidates;
  if (fs::exists(run.latest_checkpoint(), ec)) candidates.push_back(run.latest_checkpoint());
  std::vector<std::string> steps = step_checkpoints(run);
  std::reverse(steps.begin(), steps.end());  // newest first
  for (const auto& step : steps)  // latest.pt is a hard link to one of them: try that file once
    if (candidates.empty() || !fs::equivalent(candidates.front(), step, ec))
      candidates.push_back(step);
  if (candidates.empty()) {
    const bool started = fs::exists(run.config_path(), ec);
    throw Error(path_or_run_dir + ": no checkpoints/latest.pt or step_N.pt in this run directory" +
                (started ? " (it stopped before its first checkpoint; start it over with: "
                           "gantrain --config " + run.config_path() + ")"
                         : ""));
  }
  std::string reasons;
  for (const auto& path : candidates) {
    try {
      OpenedCheckpoint opened = open(path);
      if (!reasons.empty()) spdlog::info("resuming from {}, the newest valid checkpoint", path);
      return opened;
    } catch (const Error& e) {
      spdlog::warn("skipping {}", e.what());
      reasons += std::string(reasons.empty() ? "" : "; ") + e.what();
    }
  }
  throw Error(path_or_run_dir + ": no valid checkpoint (" + reasons + ")");
}

torch::serialize::InputArchive read_archive(const std::string& path, torch::Device device) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open checkpoint: " + std::strerror(errno));
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path + ": cannot read checkpoint: " + std::strerror(errno));
  // Our own check first: LibTorch 1.13 ignores the zip's checksums, and its parser is not
  // hardened against damaged input (docs/robustness.md).
  verify_zip_checksums(bytes, path);
  probe_in_child(bytes, path);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size(), device);
  } catch (const std::exception& e) {
    throw Error(path + ": not a readable checkpoint (truncated or corrupt?): " +
                first_line(e.what()));
  }
  c10::IValue format;
  bool has_format = false;
  try {
    has_format = archive.try_read("format", format) && format.isInt();
  } catch (const std::exception& e) {
    throw Error(path + ": not a readable checkpoint: " + first_line(e.what()));
  }
  if (!has_format)
    throw Error(path + ": not a gantrain checkpoint (no format version)");
  if (format.toInt() != kCheckpointFormat)
    throw Error(path + ": checkpoint format " + std::to_string(format.toInt()) +
                ", this gantrain reads format " + std::to_string(kCheckpointFormat));
  return archive;
}

}  // namespace gantrain
