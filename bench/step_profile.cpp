// What one training step costs in LibTorch calls, for bench/run.sh and docs/performance.md:
// ATen operator calls and CPU tensor allocations per step (counted with a RecordFunction
// callback and a counting allocator) and steps/s, for a task's default config on the CPU.
//   step_profile [--task even-bits|mnist|images] [--steps N] [--set key=value ...] [--list]
// --list also prints each operator's calls per step and the time of its top-level calls.
// mnist needs Fashion-MNIST (dataset-fashion-mnist) or data.dir set; images needs data.dir.
// input_ms_per_step: drawing the real batches (the input path), part of the timed steps.
#include <c10/core/CPUAllocator.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/model_factory.h"
#include "gantrain/run/training_run.h"
#include "gantrain/task.h"
#include "gantrain/trainer.h"

namespace {

std::atomic<int64_t> op_calls{0};
std::atomic<int64_t> allocations{0};
std::mutex names_mutex;
std::map<std::string, int64_t> calls_by_name;  // filled with --list only
std::map<std::string, double> top_level_seconds;  // --list: time inside ops not called by ops
bool list_ops = false;
thread_local int depth = 0;
thread_local std::chrono::steady_clock::time_point top_level_start;

void end_op(const at::RecordFunction& fn, at::ObserverContext*) {
  if (!list_ops || --depth > 0) return;
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - top_level_start).count();
  std::lock_guard<std::mutex> lock(names_mutex);
  top_level_seconds[fn.name()] += s;
}

// Counts each allocation and hands it to the allocator it replaced. The virtuals differ between
// LibTorch 1.13 and 2.x (allocate is const in 1.13; copy_data is new in 2.x), so both forms are
// declared without `override`: each version overrides the ones it has.
struct CountingAllocator final : c10::Allocator {
  c10::Allocator* inner = nullptr;
  c10::DataPtr allocate(size_t n) const {
    ++allocations;
    return inner->allocate(n);
  }
  c10::DataPtr allocate(size_t n) { return static_cast<const CountingAllocator*>(this)->allocate(n); }
  c10::DeleterFnPtr raw_deleter() const override { return inner->raw_deleter(); }
  void copy_data(void* dest, const void* src, std::size_t count) const {
    std::memcpy(dest, src, count);
  }
};

}  // namespace

int main(int argc, char** argv) {
  gantrain::use_vector_openblas_kernels(argv);  // as gantrain's main does
  gantrain::tune_allocator();
  std::string task_name = "even-bits";
  int64_t steps = 0;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; i += 2) {
    if (!std::strcmp(argv[i], "--list")) {
      list_ops = true;
      --i;
    } else if (i + 1 == argc) return std::fprintf(stderr, "step_profile: %s needs a value\n", argv[i]), 2;
    else if (!std::strcmp(argv[i], "--task")) task_name = argv[i + 1];
    else if (!std::strcmp(argv[i], "--steps")) steps = std::stoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--set")) overrides.push_back(argv[i + 1]);
    else return std::fprintf(stderr, "step_profile: unknown option %s\n", argv[i]), 2;
  }
  if (steps <= 0) steps = task_name == "even-bits" ? 5000 : 100;
  using namespace gantrain;
  Config config = default_config(task_name);
  for (const auto& o : overrides) apply_setting(config, parse_set_argument(o));
  validate(config);
  set_compute_threads(config.train.threads, runs_in_onednn(config));
  seed_everything(static_cast<uint64_t>(config.train.seed));
  auto task = find_task(config.task).create(config);
  task->prepare(config, false);
  auto data = task->make_data(torch::kCPU, Shard{});
  Networks networks = make_networks(*task, config);
  Trainer trainer(networks.generator, networks.discriminator, config.model.latent_dim,
                  task_trainer_options(*task, config), torch::kCPU, nullptr, networks.ema);
  std::vector<Batch> real(static_cast<size_t>(config.train.d_steps));
  double input_seconds = 0;  // drawing the real batches: the input path
  auto run = [&](int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const auto start = std::chrono::steady_clock::now();
      for (auto& batch : real) batch = data->next_batch();
      input_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      trainer.train_step(real);
    }
  };
  run(std::max<int64_t>(steps / 10, 5));  // warm-up: first-call caches, allocator pools

  static CountingAllocator counting;
  counting.inner = c10::GetCPUAllocator();
  c10::SetCPUAllocator(&counting, /*priority=*/100);
  auto handle = at::addGlobalCallback(
      at::RecordFunctionCallback([](const at::RecordFunction& fn) -> std::unique_ptr<at::ObserverContext> {
        ++op_calls;
        if (list_ops) {
          if (depth++ == 0) top_level_start = std::chrono::steady_clock::now();
          std::lock_guard<std::mutex> lock(names_mutex);
          ++calls_by_name[fn.name()];
        }
        return nullptr;
      }, end_op).scopes({at::RecordScope::FUNCTION}));
  run(steps / 10);
  at::removeCallback(handle);
  c10::SetCPUAllocator(counting.inner, /*priority=*/101);
  const double counted = static_cast<double>(steps / 10);
  // Timed without the callback: its own cost would be part of the figure.
  const auto start = std::chrono::steady_clock::now();
  input_seconds = 0;
  run(steps);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("task %s\nops_per_step %.1f\nallocations_per_step %.1f\nsteps_per_s %.1f\n"
              "input_ms_per_step %.3f\ninput_share %.4f\n",
              task_name.c_str(), static_cast<double>(op_calls) / counted,
              static_cast<double>(allocations) / counted, static_cast<double>(steps) / seconds,
              1e3 * input_seconds / static_cast<double>(steps), input_seconds / seconds);
  // Calls per step at any depth; ms per step in the calls made outside any other op (the
  // callbacks' own cost included, so these add up to more than the timed steps).
  for (const auto& [name, calls] : calls_by_name)
    std::printf("  %6.1f calls %8.3f ms  %s\n", static_cast<double>(calls) / counted,
                1e3 * top_level_seconds[name] / counted, name.c_str());
}
