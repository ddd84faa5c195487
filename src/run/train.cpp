// `gantrain train`: the training command as wiring of the run's objects (DESIGN.md section 12).
#include <spdlog/spdlog.h>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/model_factory.h"
#include "gantrain/run/run_writer.h"
#include "gantrain/run/training_run.h"

namespace gantrain {
namespace {

// FNV-1a: a stable 64-bit hash of the resolved config, compared across ranks.
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// Every rank must run the same training: compare the resolved configs before any step. Not
// log.out: where no --out was given, each rank time-stamps its own default, and only rank 0's
// is written to.
void check_same_config(distributed::ProcessGroup& group, const Config& config) {
  Config compared = config;
  compared.log.out.clear();
  const uint64_t hash = fnv1a(to_yaml(compared));
  torch::Tensor hashes =
      group.all_gather(torch::tensor({static_cast<int64_t>(hash >> 1)}, torch::kLong));
  for (int64_t r = 1; r < group.world_size(); ++r)
    if (hashes[r].item<int64_t>() != hashes[0].item<int64_t>())
      throw ConfigError("rank " + std::to_string(r) + "'s resolved config differs from rank 0's: "
                        "start every rank with the same config file, --set values and flags");
}

// Joins the data-parallel group when a launcher started this process (docs/distributed.md);
// nullptr for a plain run. `device` becomes this rank's GPU on CUDA.
std::unique_ptr<distributed::ProcessGroup> join_group(const Config& config, torch::Device& device) {
  std::optional<distributed::WorkerEnv> env = distributed::worker_env_from_environment();
  if (!env) return nullptr;
  if (device.is_cuda() && config.train.device.index < 0) {
    const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
    if (env->local_rank >= gpus)
      throw Error("LOCAL_RANK " + std::to_string(env->local_rank) + " needs GPU " +
                  std::to_string(env->local_rank) + ", but " + std::to_string(gpus) +
                  " are visible: start at most one rank per GPU on each machine");
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env->local_rank));
  }
  DistBackend backend = config.train.dist_backend;
  if (backend == DistBackend::kAuto)
    backend = device.is_cuda() && distributed::nccl_available() ? DistBackend::kNccl
                                                                : DistBackend::kGloo;
  if (backend == DistBackend::kNccl && !device.is_cuda())
    throw ConfigError("train.dist_backend = nccl needs a CUDA device (train.device is " +
                      device_choice_name(config.train.device) + "); use gloo or auto on the CPU");
  auto group = distributed::ProcessGroup::join(*env, backend, device,
                                               std::chrono::seconds(config.train.dist_timeout));
  if (group->rank() == 0)
    spdlog::info("data-parallel: {} ranks, backend {}, rendezvous at {}:{}", group->world_size(),
                 choice_name(backend), env->master_addr, env->master_port);
  check_same_config(*group, config);
  validate_world_size(config, group->world_size());
  return group;
}

// The hooks of Trainer::fit, the same on every rank: what only the writer does is inside the
// writer, and the checkpoint's collective runs everywhere.
FitHooks run_hooks(TrainingRun& run, RunWriter* writer, const std::function<bool()>& should_stop) {
  const LogConfig& log = run.config().log;
  FitHooks hooks;
  hooks.log_every = log.every;
  hooks.sample_every = log.sample_every;
  hooks.checkpoint_every = log.checkpoint_every;
  hooks.should_stop = should_stop;
  hooks.on_log = [writer](const LogPoint& point) {
    if (writer) writer->write_row(point);
  };
  hooks.on_sample = [writer] {
    if (writer) writer->write_samples();
  };
  hooks.on_checkpoint = [&run, writer] {
    torch::serialize::OutputArchive archive;
    run.checkpoint(archive);  // a collective: every rank's random state
    if (writer) writer->write_checkpoint(archive);
  };
  return hooks;
}

// One process's training: every rank trains; the writing rank (0) also measures and writes the
// run directory.
TrainResult train_rank(const TrainRequest& request, torch::Device device,
                       distributed::ProcessGroup* group) {
  const bool writes = !group || group->rank() == 0;
  TrainingRun run(request.config, device, group, writes);
  if (!request.resume_checkpoint.empty()) {
    torch::serialize::InputArchive archive = read_archive(request.resume_checkpoint, device);
    run.resume(archive, request.resume_checkpoint);
  }
  // Everything that can fail on bad input has been checked: only now touch the disk.
  std::unique_ptr<RunWriter> writer;
  if (writes) writer = std::make_unique<RunWriter>(run, request.on_run_dir);
  if (writer) writer->announce();
  run.fit(run_hooks(run, writer.get(), request.should_stop));
  if (writer) writer->finish();
  return {request.config.log.out, run.trainer().step(), !run.finished()};
}

}  // namespace

TrainResult train(const TrainRequest& request) {
  const Config& config = request.config;
  torch::Device device = resolve_device(config.train.device);
  set_compute_threads(config.train.threads, runs_in_onednn(config));
  if (config.log.out.empty()) throw ConfigError("log.out: no run directory given");
  // Before joining: the rendezvous is a barrier, so no rank has created the directory yet.
  if (request.resume_checkpoint.empty() && holds_run(config.log.out))
    throw ConfigError(config.log.out + " already holds a run: continue it with --resume " +
                      config.log.out + ", or choose another --out");
  std::unique_ptr<distributed::ProcessGroup> group = join_group(config, device);
  if (!group) return train_rank(request, device, nullptr);
  try {
    return train_rank(request, device, group.get());
  } catch (const distributed::LostRank& e) {
    throw Error(std::string(e.what()) + ". The last checkpoint is kept: continue with gantrain "
                "--resume " + config.log.out + " and the same launch");
  } catch (const std::exception& e) {
    group->publish_error(first_line(e.what()));
    throw;
  }
}

}  // namespace gantrain
