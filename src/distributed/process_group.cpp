#include "gantrain/distributed/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cerrno>
#include <cstdlib>
#include <thread>

#include "distributed/c10d.h"
#include "gantrain/error.h"
#include "gantrain/torch_compat.h"

namespace gantrain::distributed {
namespace {

using namespace std::chrono_literals;

const char* env_or_null(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

int64_t int_from_env(const char* name, int64_t low, int64_t high, const std::string& why = "") {
  const char* text = env_or_null(name);
  if (!text) throw ConfigError(std::string("environment ") + name + " is not set" + why);
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < low || value > high)
    throw ConfigError(std::string("environment ") + name + "='" + text +
                      "': expected an integer in [" + std::to_string(low) + ", " +
                      std::to_string(high) + "]" + why);
  return value;
}

std::vector<uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Gloo's address for the other ranks to reach this one. On one machine the loopback; across
// machines the interface GLOO_SOCKET_IFNAME names (read here: LibTorch 1.13's C++ ignores it),
// else the address this machine's hostname resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const WorkerEnv& env) {
  if (const char* interface = env_or_null("GLOO_SOCKET_IFNAME"))
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  if (is_loopback(env.master_addr))
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::string exit_key(int64_t rank) { return "exit/" + std::to_string(rank); }

// Waits up to `slice` for `work`: true once it is done (throwing its error if it failed), false
// while it is still running.
template <typename Work>
bool finished_within(Work& work, std::chrono::milliseconds slice) {
  try {
    return work.wait(slice);
  } catch (const std::exception&) {
    if (!work.isCompleted()) return false;  // the slice ran out
  }
  return work.wait();  // done: returns, or throws the work's own error
}

}  // namespace

c10::intrusive_ptr<c10d::Store> attempt_store(const c10::intrusive_ptr<c10d::Store>& store,
                                              int64_t restart_count) {
  return c10::make_intrusive<c10d::PrefixStore>(
      "gantrain/attempt_" + std::to_string(restart_count), store);
}

void note_worker_exit(const c10::intrusive_ptr<c10d::Store>& store, int64_t rank,
                      const std::string& how) noexcept {
  try {
    store->set(exit_key(rank), bytes(how));
  } catch (...) {
    // The store is unusable: the survivors fall back on their own timeout.
  }
}

#ifdef GANTRAIN_HAVE_NCCL
bool nccl_available() { return true; }
#else
bool nccl_available() { return false; }
c10::intrusive_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                              std::chrono::milliseconds) {
  throw Error("train.dist_backend = nccl: this LibTorch build has no NCCL (use gloo, or build "
              "against LibTorch 2.x with CUDA: GANTRAIN_LIBTORCH=pip)");
}
#endif

std::optional<WorkerEnv> worker_env_from_environment() {
  if (!env_or_null("WORLD_SIZE")) {
    if (env_or_null("RANK"))
      throw ConfigError("environment RANK is set but WORLD_SIZE is not: a launcher sets both");
    return std::nullopt;
  }
  const std::string launcher = " (set by gantrain --nproc, torchrun or your launcher)";
  WorkerEnv env;
  env.world_size = int_from_env("WORLD_SIZE", 1, 65536, launcher);
  env.rank = int_from_env("RANK", 0, env.world_size - 1, launcher);
  env.local_rank =
      env_or_null("LOCAL_RANK") ? int_from_env("LOCAL_RANK", 0, env.world_size - 1) : env.rank;
  const char* addr = env_or_null("MASTER_ADDR");
  if (!addr) throw ConfigError("environment MASTER_ADDR is not set" + launcher);
  env.master_addr = addr;
  env.master_port = int_from_env("MASTER_PORT", 1, 65535, launcher);
  const char* agent = env_or_null("TORCHELASTIC_USE_AGENT_STORE");
  env.agent_store = agent && (std::string(agent) == "True" || std::string(agent) == "1");
  if (env_or_null("TORCHELASTIC_RESTART_COUNT"))
    env.restart_count = int_from_env("TORCHELASTIC_RESTART_COUNT", 0, 1000000);
  return env;
}

struct ProcessGroup::Impl {
  WorkerEnv env;
  torch::Device device{torch::kCPU};
  std::chrono::seconds timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Backend> backend;
  // Gloo's collectives are waited on in slices of this length, looking in between for a rank
  // that gantrain's launcher saw exit: Gloo can miss a killed peer and wait out the whole
  // timeout. NCCL keeps one plain wait (it returns once the work is queued on the stream; its
  // watchdog watches the peers).
  std::chrono::milliseconds slice = ::kNoTimeout;

  // Runs one collective to its end; a failure becomes one line naming the lost rank(s).
  template <typename Start>
  void run(const char* what, Start start) {
    if (!backend) throw LostRank(std::string(what) + " after this rank lost a peer");
    try {
      auto work = start();
      while (!finished_within(*work, slice)) {
        if (launcher_saw_an_exit()) {
          abandon_backend();
          throw LostRank(lost_ranks() + " during " + what);
        }
      }
    } catch (const LostRank&) {
      throw;
    } catch (const std::exception& e) {
      throw LostRank(lost_ranks() + " during " + what + " (" + first_line(e.what()) + ")");
    }
  }

  bool launcher_saw_an_exit() {
    for (int64_t r = 0; r < env.world_size; ++r)
      if (r != env.rank && store->check({exit_key(r)})) return true;
    return false;
  }

  // The backend's thread still waits in the collective, until the timeout: destroying the
  // backend would join it. It is kept, unreachable for use, until the process exits.
  void abandon_backend() {
    static auto* abandoned = new std::vector<c10::intrusive_ptr<Backend>>();
    abandoned->push_back(std::move(backend));
  }

  // A key's text, or nullopt when no one has set it.
  std::optional<std::string> read(const std::string& key) {
    if (!store->check({key})) return std::nullopt;
    const std::vector<uint8_t> value = store->get(key);
    return std::string(value.begin(), value.end());
  }

  // Who is gone: each survivor marks itself alive in the store; the ranks that do not within a
  // few seconds are the lost ones, with the error they left there if they stopped on one.
  std::string lost_ranks() {
    try {
      store->set("alive/" + std::to_string(env.rank), bytes("1"));
      std::vector<int64_t> missing;
      const auto deadline = std::chrono::steady_clock::now() + 3s;
      do {
        missing.clear();
        for (int64_t r = 0; r < env.world_size; ++r)
          if (!store->check({"alive/" + std::to_string(r)})) missing.push_back(r);
        if (missing.empty()) break;
        std::this_thread::sleep_for(50ms);
      } while (std::chrono::steady_clock::now() < deadline);
      if (missing.empty()) return "a collective failed with every rank alive (a network fault?)";
      std::string text = "lost ";
      for (size_t i = 0; i < missing.size(); ++i) {
        text += (i ? "; " : "") + std::string("rank ") + std::to_string(missing[i]);
        if (auto error = read("error/" + std::to_string(missing[i]))) {
          text += ", which stopped with: " + *error;
        } else if (auto how = read(exit_key(missing[i]))) {
          text += " (it " + *how + ")";
        } else {
          text += " (it exited, was killed, or hung for train.dist_timeout = " +
                  std::to_string(timeout.count()) + " s)";
        }
      }
      return text;
    } catch (const std::exception&) {
      return env.agent_store
                 ? "lost the launcher, which hosts the rendezvous store"
                 : "lost rank 0 (it exited or was killed; it hosts the rendezvous store)";
    }
  }
};

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::join(const WorkerEnv& env, DistBackend backend,
                                                 torch::Device device,
                                                 std::chrono::seconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->device = device;
  impl->timeout = timeout;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  const std::string seconds = std::to_string(timeout.count()) + " s (train.dist_timeout)";

  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = !env.agent_store && env.rank == 0;
  options.waitWorkers = false;
  options.timeout = timeout;
  c10::intrusive_ptr<c10d::Store> tcp;
  try {
    compat::QuietTorchLogs quiet;  // c10d logs each failed bind or connect; the error says it all
    tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    if (options.isServer)
      throw Error("rank 0 cannot host the rendezvous store on " + where + ": " +
                  first_line(e.what()) +
                  " (is the port in use? choose another MASTER_PORT / --master-port)");
    throw Error("rank " + std::to_string(env.rank) + " cannot reach the rendezvous store at " +
                where + " within " + seconds + ": " + first_line(e.what()) +
                " (check MASTER_ADDR / --master-addr, the port, and firewalls)");
  }
  impl->store = attempt_store(tcp, env.restart_count);

  try {
    if (backend == DistBackend::kNccl) {
      impl->backend = make_nccl_backend(impl->store, static_cast<int>(env.rank),
                                        static_cast<int>(env.world_size), timeout);
    } else {
      auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
      gloo->devices.push_back(gloo_device(env));
      impl->slice = std::chrono::seconds(1);
      impl->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(
          impl->store, static_cast<int>(env.rank), static_cast<int>(env.world_size), gloo);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env.rank) + ": the " + choice_name(backend) + " rendezvous of " +
                std::to_string(env.world_size) + " ranks at " + where + " failed within " +
                seconds + ": " + first_line(e.what()) +
                " (are all WORLD_SIZE ranks started, with the same MASTER_ADDR and MASTER_PORT?)");
  }
  return std::unique_ptr<ProcessGroup>(new ProcessGroup(std::move(impl)));
}

int64_t ProcessGroup::rank() const { return impl_->env.rank; }
int64_t ProcessGroup::world_size() const { return impl_->env.world_size; }

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor) {
  std::vector<torch::Tensor> tensors = {tensor};
  impl_->run("an all-reduce", [&] { return impl_->backend->allreduce(tensors); });
}

torch::Tensor ProcessGroup::all_gather(const torch::Tensor& tensor) {
  std::vector<torch::Tensor> inputs = {tensor.to(impl_->device).contiguous()};
  std::vector<std::vector<torch::Tensor>> outputs(1);
  for (int64_t r = 0; r < world_size(); ++r) outputs[0].push_back(torch::empty_like(inputs[0]));
  impl_->run("an all-gather", [&] { return impl_->backend->allgather(outputs, inputs); });
  return torch::stack(outputs[0]).cpu();
}

void ProcessGroup::publish_error(const std::string& what) noexcept {
  try {
    impl_->store->set("error/" + std::to_string(rank()), bytes(what));
  } catch (...) {
    // The store is gone too: the other ranks will say so themselves.
  }
}

}  // namespace gantrain::distributed
