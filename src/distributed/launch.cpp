#include "gantrain/distributed/launch.h"

#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>
#include <thread>

#include "distributed/c10d.h"
#include "gantrain/error.h"
#include "gantrain/torch_compat.h"

extern char** environ;

namespace gantrain::distributed {
namespace {

// Signals to pass on: a count, so that none is lost between the handler and the loop.
volatile std::sig_atomic_t g_signals_received = 0;
volatile std::sig_atomic_t g_last_signal = 0;

void remember_signal(int sig) {
  g_last_signal = sig;
  g_signals_received = g_signals_received + 1;
}

const int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP};

bool stopped_by_forwarded_signal(int code) {
  for (int sig : kForwardedSignals)
    if (code == 128 + sig) return true;
  return false;
}

// The launcher starts its workers once: they are attempt 0 in torchrun's terms.
constexpr int64_t kRestartCount = 0;

// The variables torchrun sets for a worker; any inherited ones are replaced.
const char* const kWorkerVariables[] = {
    "RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "ROLE_RANK",
    "ROLE_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_USE_AGENT_STORE",
    "TORCHELASTIC_RESTART_COUNT", "TORCHELASTIC_MAX_RESTARTS", "TORCHELASTIC_RUN_ID"};

std::vector<std::string> worker_environment(std::map<std::string, std::string> set,
                                            int64_t nproc) {
  // As torchrun does, workers share the cores rather than each taking all of them (LibTorch's
  // default thread count follows OMP_NUM_THREADS); the user's own setting wins.
  if (!std::getenv("OMP_NUM_THREADS"))
    set["OMP_NUM_THREADS"] = std::to_string(
        std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()) / nproc));
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const char* v : kWorkerVariables) replaced = replaced || name == v;
    if (!replaced) env.push_back(entry);
  }
  for (const auto& [name, value] : set) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status))
    return std::string("was killed by signal ") + strsignal(WTERMSIG(status));
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

int exit_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// Node 0 hosts the rendezvous store, as torchrun's agent does: it outlives any worker, so a
// survivor can still learn which rank was lost. Returns null on the other nodes.
c10::intrusive_ptr<c10d::TCPStore> host_store(const LaunchOptions& options) {
  if (options.node_rank != 0) return {};
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(options.master_port);
  store_options.isServer = true;
  store_options.waitWorkers = false;
  store_options.timeout = options.timeout;
  try {
    compat::QuietTorchLogs quiet;  // c10d logs each failed bind; the error below says it all
    return c10::make_intrusive<c10d::TCPStore>(options.master_addr, store_options);
  } catch (const std::exception& e) {
    throw Error("cannot host the rendezvous store on port " + std::to_string(options.master_port) +
                ": " + first_line(e.what()) +
                " (is the port in use? choose another --master-port)");
  }
}

void install_signal_forwarding() {
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  for (int sig : kForwardedSignals) sigaction(sig, &action, nullptr);
}

// Starts worker `local` of this node with torchrun's variables; returns its pid, or 0 with
// `error` set to posix_spawn's error number.
pid_t spawn_worker(const LaunchOptions& options, int64_t local, int64_t port,
                   const std::vector<std::string>& worker_args, int& error) {
  const int64_t rank = options.node_rank * options.nproc + local;
  std::vector<std::string> args = {"gantrain"};
  args.insert(args.end(), worker_args.begin(), worker_args.end());
  std::vector<std::string> env = worker_environment({
      {"RANK", std::to_string(rank)},
      {"LOCAL_RANK", std::to_string(local)},
      {"WORLD_SIZE", std::to_string(options.nproc * options.nnodes)},
      {"LOCAL_WORLD_SIZE", std::to_string(options.nproc)},
      {"GROUP_RANK", std::to_string(options.node_rank)},
      {"MASTER_ADDR", options.master_addr},
      {"MASTER_PORT", std::to_string(port)},
      {"TORCHELASTIC_USE_AGENT_STORE", "True"},  // node 0's launcher hosts it, for every node
      {"TORCHELASTIC_RESTART_COUNT", std::to_string(kRestartCount)},
      {"TORCHELASTIC_MAX_RESTARTS", "0"},
      {"TORCHELASTIC_RUN_ID", "gantrain"},
      {"GANTRAIN_LAUNCHER_PID", std::to_string(getpid())},
  }, options.nproc);
  // Each worker in a process group of its own: a Ctrl-C at the terminal reaches the launcher
  // alone, which passes it on (not twice, which a worker would read as "leave now").
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  auto argv = pointers(args);
  auto envp = pointers(env);
  error = posix_spawn(&pid, "/proc/self/exe", nullptr, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  return error ? 0 : pid;
}

// Starts this node's workers: pid -> rank. If one cannot start, the others are killed.
std::map<pid_t, int64_t> spawn_workers(const LaunchOptions& options, int64_t port,
                                       const std::vector<std::string>& worker_args) {
  std::map<pid_t, int64_t> running;
  for (int64_t local = 0; local < options.nproc; ++local) {
    const int64_t rank = options.node_rank * options.nproc + local;
    int error = 0;
    const pid_t pid = spawn_worker(options, local, port, worker_args, error);
    if (error) {
      for (const auto& [other, r] : running) kill(other, SIGKILL);
      throw Error("cannot start worker rank " + std::to_string(rank) + ": " + strerror(error));
    }
    running[pid] = rank;
  }
  std::string pids;
  for (const auto& [pid, rank] : running)
    pids += (pids.empty() ? "" : ", ") + fmt::format("rank {} pid {}", rank, pid);
  spdlog::info("launched {} of {} workers, rendezvous at {}:{} ({})", options.nproc,
               options.nproc * options.nnodes, options.master_addr, port, pids);
  return running;
}

// Waits for every worker, passing each signal the launcher receives on to them: the first asks
// them to stop after the step with a checkpoint, a second to leave at once (as for a single
// process). A failed worker is noted in the store, if this node hosts it, for the others to
// read; they get `timeout` + 10 s to stop before they are killed. Returns 0, or the first
// failing worker's exit code.
int wait_for_workers(std::map<pid_t, int64_t> running, std::chrono::seconds timeout,
                     const c10::intrusive_ptr<c10d::Store>& store) {
  int result = 0;
  bool interrupted = false;  // then workers stopping with 128 + that signal is the expected end
  std::sig_atomic_t forwarded = 0;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (!running.empty()) {
    while (forwarded < g_signals_received) {
      ++forwarded;
      interrupted = true;
      for (const auto& [pid, rank] : running) kill(pid, g_last_signal);
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      const int64_t rank = running[pid];
      running.erase(pid);
      const int code = exit_code(status);
      // After a forwarded Ctrl-C, 128 + that signal is how a worker says it stopped as asked.
      const bool expected = code == 0 || (interrupted && stopped_by_forwarded_signal(code));
      if (!expected && store) note_worker_exit(store, rank, describe_exit(status));
      if (!expected && result == 0) {
        spdlog::error("worker rank {} {}; waiting up to {} s for the others to stop", rank,
                      describe_exit(status), timeout.count() + 10);
        deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(10);
      } else if (!expected) {
        spdlog::warn("worker rank {} {}", rank, describe_exit(status));
      }
      if (result == 0) result = code;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (const auto& [other, rank] : running) {
        spdlog::error("worker rank {} did not stop: killed", rank);
        kill(other, SIGKILL);
      }
      deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return result;
}

}  // namespace

int launch_workers(const LaunchOptions& options, const std::vector<std::string>& worker_args) {
  const c10::intrusive_ptr<c10d::TCPStore> store = host_store(options);
  const int64_t port = store ? store->getPort() : options.master_port;
  install_signal_forwarding();
  c10::intrusive_ptr<c10d::Store> notes;  // null on the nodes that do not host the store
  if (store) notes = attempt_store(store, kRestartCount);
  return wait_for_workers(spawn_workers(options, port, worker_args), options.timeout, notes);
}

}  // namespace gantrain::distributed
