#include "gantrain/commands.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <set>

#include "gantrain/build_info.h"
#include "gantrain/device.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/console_sink.h"
#include "gantrain/io/eval_json.h"
#include "gantrain/io/metrics_csv.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/run_info.h"
#include "gantrain/io/run_state.h"
#include "gantrain/io/tensorboard.h"
#include "gantrain/report/report.h"
#include "gantrain/task.h"
#include "gantrain/trainer.h"

namespace gantrain {
namespace {

Config config_from_yaml(const std::string& yaml, const std::string& name) {
  auto settings = read_config_text(yaml, name);
  Config config = default_config(task_named(settings, "even-bits"));
  apply_settings(config, settings);
  return config;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Text as a Markdown code block (TensorBoard's text plugin renders Markdown).
std::string markdown_code(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out += "    " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// The end-of-run report is a view of the run: failing to write it must not fail the run.
void write_report_logged(const std::string& run_dir, const std::string& out) {
  try {
    write_file_atomic(out, build_report(run_dir));
    spdlog::info("wrote {}", out);
  } catch (const Error& e) {
    spdlog::warn("no report: {}", e.what());
  }
}

// Samples for metrics and grids come from their own generator so that looking at the
// generator never changes the training run's random stream.
torch::Tensor fixed_noise(const ModelConfig& model, int64_t n, int64_t seed, torch::Device device) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  return sample_noise(model.noise, n, model.latent_dim, torch::kCPU, generator).to(device);
}

torch::Tensor generate(Generator& generator, const torch::Tensor& noise) {
  torch::NoGradGuard no_grad;
  const bool was_training = generator->is_training();
  generator->eval();
  torch::Tensor samples = generator->forward(noise);
  generator->train(was_training);
  return samples;
}

// A checkpoint's generator with the config and task it was trained with.
struct TrainedGenerator {
  std::string path;  // the checkpoint file
  Config config;
  std::unique_ptr<Task> task;
  Generator generator;
  int64_t step = 0;
  bool ema = false;  // the weights are the generator EMA's
};

// The checkpoint's generator EMA where it has one and `raw` is false, else its generator.
TrainedGenerator load_generator(const std::string& path_or_run_dir, torch::Device device,
                                bool raw) {
  TrainedGenerator out;
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, device);
  out.path = opened.path;
  auto& archive = opened.archive;
  out.config = config_from_yaml(opened.config_yaml, out.path + " (config)");
  out.task = find_task(out.config.task).create(out.config);
  out.generator = out.task->make_generator();
  try {
    const GeneratorState state = load_generator_state(archive, *out.generator, !raw);
    out.step = state.step;
    out.ema = state.ema;
    if (state.ema) spdlog::info("samples come from the generator EMA (--raw-generator: from G)");
  } catch (const c10::Error& e) {
    throw Error(out.path + ": generator does not load: " + first_line(e.what()));
  }
  out.generator->to(device);
  return out;
}

// FNV-1a: a stable 64-bit hash of the resolved config, compared across ranks.
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// Joins the data-parallel group when a launcher started this process (docs/distributed.md);
// nullptr for a plain run. `device` becomes this rank's GPU on CUDA.
std::unique_ptr<distributed::ProcessGroup> join_group(const Config& config, torch::Device& device) {
  std::optional<distributed::WorkerEnv> env = distributed::worker_env_from_environment();
  if (!env) return nullptr;
  if (device.is_cuda() && (config.train.device == "cuda" || config.train.device == "auto")) {
    const auto gpus = static_cast<int64_t>(torch::cuda::device_count());
    if (env->local_rank >= gpus)
      throw Error("LOCAL_RANK " + std::to_string(env->local_rank) + " needs GPU " +
                  std::to_string(env->local_rank) + ", but " + std::to_string(gpus) +
                  " are visible: start at most one rank per GPU on each machine");
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env->local_rank));
  }
  std::string backend = config.train.dist_backend;
  if (backend == "auto") backend = device.is_cuda() && distributed::nccl_available() ? "nccl" : "gloo";
  if (backend == "nccl" && !device.is_cuda())
    throw ConfigError("train.dist_backend = nccl needs a CUDA device (train.device is " +
                      config.train.device + "); use gloo or auto on the CPU");
  auto group = distributed::ProcessGroup::join(*env, backend, device,
                                        std::chrono::seconds(config.train.dist_timeout));
  if (group->rank() == 0)
    spdlog::info("data-parallel: {} ranks, backend {}, rendezvous at {}:{}", group->world_size(),
                 backend, env->master_addr, env->master_port);
  // Every rank must run the same training: compare the resolved configs before any step. Not
  // log.out: where no --out was given, each rank time-stamps its own default, and only rank 0's
  // is written to.
  Config compared = config;
  compared.log.out.clear();
  const uint64_t hash = fnv1a(to_yaml(compared));
  torch::Tensor hashes =
      group->all_gather(torch::tensor({static_cast<int64_t>(hash >> 1)}, torch::kLong));
  for (int64_t r = 1; r < group->world_size(); ++r)
    if (hashes[r].item<int64_t>() != hashes[0].item<int64_t>())
      throw ConfigError("rank " + std::to_string(r) + "'s resolved config differs from rank 0's: "
                        "start every rank with the same config file, --set values and flags");
  validate_world_size(config, group->world_size());
  return group;
}

}  // namespace

ResumePoint find_resume_point(const std::string& path_or_run_dir) {
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, torch::kCPU);
  return {opened.path, config_from_yaml(opened.config_yaml, opened.path + " (config)")};
}

namespace {

// The random states a checkpoint holds: this process's (rank 0's, in the file) and, in a
// data-parallel run, every rank's. A collective there: every rank calls it at every checkpoint.
RandomStates rng_states(distributed::ProcessGroup* group, torch::Device device) {
  RandomStates states;
  states.cpu = generator_state(default_generator(torch::kCPU));
  if (!device.is_cpu()) states.device = generator_state(default_generator(device));
  if (group) {
    states.cpu_ranks = group->all_gather(states.cpu);
    if (states.device.defined()) states.device_ranks = group->all_gather(states.device);
  }
  return states;
}

// A rank other than 0: it trains and joins the collectives of rank 0's checkpoints, and
// writes nothing.
TrainResult train_without_writing(Trainer& trainer, BatchSource& data, int64_t total_steps,
                                  const TrainRequest& request, distributed::ProcessGroup* group,
                                  torch::Device device) {
  FitHooks hooks;
  hooks.log_every = request.config.log.every;
  hooks.checkpoint_every = request.config.log.checkpoint_every;
  hooks.should_stop = request.should_stop;
  hooks.on_checkpoint = [&] { rng_states(group, device); };
  trainer.fit(data, total_steps, hooks);
  return {request.config.log.out, trainer.step(), trainer.step() < total_steps};
}

// The training run of one process: every rank trains; rank 0 (the only writer) also measures
// and writes the run directory.
TrainResult train_rank(const TrainRequest& request, torch::Device device,
                       distributed::ProcessGroup* group) {
  const Config& config = request.config;
  const bool writer = !group || group->rank() == 0;
  const Shard shard = group ? Shard{group->rank(), group->world_size()} : Shard{};
  auto task = find_task(config.task).create(config);
  // Built before seeding, so nothing its set-up draws can move the run's random stream, and
  // before the run directory, so a bad eval.metrics or missing test data fails first.
  std::unique_ptr<Evaluator> evaluator;
  if (config.eval.every > 0 && writer)
    evaluator = task->make_evaluator(parse_eval_groups(*task, config.eval.metrics), device);
  seed_everything(static_cast<uint64_t>(config.train.seed));

  auto data = task->make_data(device, shard);
  Networks networks = make_networks(*task, config);
  Trainer trainer(networks.generator, networks.discriminator, config.model.latent_dim,
                  trainer_options(config), device, group, networks.ema);
  const int64_t per_epoch = data->batches_per_epoch();
  const int64_t total_steps = config.train.steps > 0
                                  ? config.train.steps
                                  : config.train.epochs * per_epoch / config.train.d_steps;
  if (total_steps <= 0)
    throw ConfigError("train.epochs = " + std::to_string(config.train.epochs) +
                      " needs a data set with epochs; set train.steps instead");

  torch::Tensor grid_noise =
      fixed_noise(config.model, config.log.grid_samples, config.train.seed, device);
  int64_t resumed_step = -1;
  if (!request.resume_checkpoint.empty()) {
    auto archive = read_archive(request.resume_checkpoint, device);
    try {
      RunState state = load_run_state(archive, trainer, *data, shard);
      grid_noise = state.grid_noise;
      set_generator_state(default_generator(torch::kCPU), state.rng.cpu);
      // A CPU run resumed on a GPU has no device state: its stream starts from the seed.
      if (!device.is_cpu() && state.rng.device.defined())
        set_generator_state(default_generator(device), state.rng.device);
      if (state.saved_world_size != shard.world_size && writer)
        spdlog::info("the checkpoint was written by {} rank(s), this run has {}: the global "
                     "batch, data order and random streams carry over, but the gradient sums "
                     "regroup and dropout masks and batch-norm statistics follow the new shards, "
                     "so it does not repeat the old run bit for bit (docs/distributed.md)",
                     state.saved_world_size, shard.world_size);
    } catch (const c10::Error& e) {
      throw Error(request.resume_checkpoint + ": does not match this config: " +
                  first_line(e.what()));
    }
    resumed_step = trainer.step();
    if (total_steps <= resumed_step)
      throw ConfigError(request.resume_checkpoint + " is at step " + std::to_string(resumed_step) +
                        ": to train on, set --steps (or --epochs) beyond it (now " +
                        std::to_string(total_steps) + " steps)");
    spdlog::info("resumed from {} at step {}", request.resume_checkpoint, resumed_step);
  }
  if (!writer) return train_without_writing(trainer, *data, total_steps, request, group, device);
  // Everything that can fail on bad input has been checked: only now touch the disk.
  RunDir run = create_run_dir(config.log.out);
  if (request.on_run_dir) request.on_run_dir(run.root);
  write_file_atomic(run.config_path(), to_yaml(config));

  write_run_info(run.run_info_path(), {GANTRAIN_VERSION, build_description(), device.str(),
                                       at::get_num_threads(), utc_now_iso8601(),
                                       std::max<int64_t>(resumed_step, 0)});

  // Column order: training statistics, task metrics, eval metrics, speed and time.
  const auto [real_column, fake_column] = score_columns(config.train.loss);
  std::vector<std::string> columns = {"step", "epoch", "d_loss", "g_loss", real_column, fake_column};
  for (const auto& name : task->metric_names()) columns.push_back(name);
  std::set<std::string> eval_columns;
  if (evaluator)
    for (const auto& name : evaluator->names())
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) {
        columns.push_back(name);
        eval_columns.insert(name);
      }
  columns.insert(columns.end(), {"steps_per_s", "images_per_s", "elapsed_s"});
  // Whether or not this session writes TensorBoard files, older ones must not show steps it redoes.
  trim_event_files(run.root, std::max<int64_t>(resumed_step, 0));
  std::vector<std::unique_ptr<MetricsSink>> sinks;
  sinks.push_back(std::make_unique<MetricsCsv>(run.metrics_path()));
  sinks.push_back(std::make_unique<ConsoleSink>(total_steps, per_epoch > 0));
  if (config.log.tensorboard)
    sinks.push_back(std::make_unique<TensorBoardSink>(run.root, eval_columns));
  // A resumed session's config goes at its first step: a second resume from the same
  // checkpoint trims it away with the rest of the session instead of doubling it.
  const int64_t config_step = resumed_step < 0 ? 0 : resumed_step + 1;
  for (auto& sink : sinks) {
    sink->open(columns, std::max<int64_t>(resumed_step, 0));
    sink->write_text(config_step, "config", markdown_code(to_yaml(config)));
    sink->flush();
  }

  const torch::Tensor eval_noise =
      fixed_noise(config.model, config.eval.samples, config.train.seed + 1, device);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int64_t last_log_step = trainer.step();
  double last_log_time = 0;

  FitHooks hooks;
  hooks.log_every = config.log.every;
  hooks.sample_every = config.log.sample_every;
  hooks.checkpoint_every = config.log.checkpoint_every;
  hooks.should_stop = request.should_stop;
  hooks.on_log = [&](const LogPoint& p) {
    // Speed over the last interval: what the run does now, not since start-up.
    const double steps_per_s = static_cast<double>(p.step - last_log_step) /
                               std::max(elapsed() - last_log_time, 1e-9);
    MetricsRow row;
    row.step = p.step;
    row.values = {{"epoch", p.epoch},         {"d_loss", p.d_loss},
                  {"g_loss", p.g_loss},       {real_column, p.d_real},
                  {fake_column, p.d_fake},    {"steps_per_s", steps_per_s},
                  {"images_per_s", steps_per_s * static_cast<double>(config.train.batch_size *
                                                                     config.train.d_steps)}};
    if (!task->metric_names().empty())
      for (const auto& m : task->metrics(generate(trainer.sampling_generator(), eval_noise))) {
        row.values[m.name] = m.value;
        row.shown.push_back(m.shown);
      }
    // A glimpse of the fixed-noise samples (even-bits: the first decoded integers).
    torch::Tensor glimpse = grid_noise.narrow(0, 0, std::min<int64_t>(8, grid_noise.size(0)));
    std::string text = task->samples_as_text(generate(trainer.sampling_generator(), glimpse));
    if (!text.empty()) row.sample_text = text.substr(0, text.size() - 1) + ", ...]";
    if (evaluator && (p.step % config.eval.every == 0 || p.step == p.total_steps)) {
      for (const auto& m : evaluator->evaluate(generate(trainer.sampling_generator(), eval_noise))) {
        row.values[m.name] = m.value;
        row.eval_shown.push_back(m.shown);
      }
    }
    row.values["elapsed_s"] = elapsed();
    for (auto& sink : sinks) {
      sink->write(row);
      sink->flush();
    }
    // The next interval's speed is training speed: task metrics, eval and IO excluded.
    last_log_step = p.step;
    last_log_time = elapsed();
  };
  // Writing samples and checkpoints is not training: its time moves the speed interval's start.
  auto untimed = [&](const std::function<void()>& work) {
    const double start_s = elapsed();
    work();
    last_log_time += elapsed() - start_s;
  };
  auto write_samples = [&] {
    const std::string bytes = task->encode_samples(generate(trainer.sampling_generator(), grid_noise),
                                                   config.log.grid_nrow, config.log.grid_scale);
    write_file_atomic(run.sample_path(trainer.step(), task->sample_extension()), bytes);
    for (auto& sink : sinks) {
      if (task->sample_extension() == "png")
        sink->write_image(trainer.step(), "samples", bytes);
      else
        sink->write_text(trainer.step(), "samples", bytes);
      sink->flush();
    }
  };
  auto write_checkpoint = [&] {
    torch::serialize::OutputArchive archive;
    save_run_state(archive, {to_yaml(config), grid_noise, rng_states(group, device)}, trainer,
                   *data);
    save_checkpoint(archive, run, trainer.step(), config.log.keep_checkpoints);
  };
  hooks.on_sample = [&] { untimed(write_samples); };
  hooks.on_checkpoint = [&] { untimed(write_checkpoint); };

  const std::string batch =
      group ? fmt::format("global batch {} = {} ranks x {}", config.train.batch_size,
                          group->world_size(), config.train.batch_size / group->world_size())
            : fmt::format("batch {}", config.train.batch_size);
  spdlog::info("{} on {}: {} steps, {}, run directory {}", config.task, device.str(), total_steps,
               batch, run.root);
  trainer.fit(*data, total_steps, hooks);

  TrainResult result{run.root, trainer.step(), trainer.step() < total_steps};
  if (!result.stopped) {
    std::string summary;
    if (!task->metric_names().empty())
      for (const auto& m : task->metrics(generate(trainer.sampling_generator(), eval_noise)))
        if (!m.shown.empty()) summary += (summary.empty() ? "" : ", ") + m.shown;
    spdlog::info("done: {} steps in {:.3f} s{}{}; checkpoint {}", trainer.step(), elapsed(),
                 summary.empty() ? "" : "; over " + std::to_string(config.eval.samples) +
                                            " samples: ",
                 summary, run.latest_checkpoint());
  }
  const int64_t session_steps = trainer.step() - std::max<int64_t>(resumed_step, 0);
  if (const distributed::GradientSync* sync = trainer.gradient_sync(); sync && session_steps > 0)
    spdlog::info("gradient all-reduce: {:.1f} kB per step, {:.2f} ms per step ({:.0f}% of the "
                 "{:.1f} s of this session)",
                 static_cast<double>(sync->bytes_reduced()) / 1e3 / session_steps,
                 sync->seconds_reducing() * 1e3 / session_steps,
                 100 * sync->seconds_reducing() / elapsed(), elapsed());
  if (config.log.report) write_report_logged(run.root, run.report_path());
  return result;
}

}  // namespace

TrainResult train(const TrainRequest& request) {
  const Config& config = request.config;
  torch::Device device = resolve_device(config.train.device);
  set_compute_threads(config.train.threads, config.train.precision == "bf16");
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

std::string sample(const SampleRequest& request) {
  torch::Device device = resolve_device(request.device);
  TrainedGenerator trained = load_generator(request.checkpoint, device, request.raw_generator);
  const Config& config = trained.config;
  auto& task = trained.task;
  torch::Tensor samples =
      generate(trained.generator, fixed_noise(config.model, request.n, request.seed, device));
  if (request.scale > 1 && task->sample_extension() != "png")
    throw ConfigError("gantrain sample: --scale applies to image grids, not to task '" +
                      config.task + "'");
  if (task->sample_extension() == "txt" && request.out.empty())
    return task->samples_as_text(samples);
  if (request.out.empty())
    throw ConfigError("gantrain sample: --out FILE is required for task '" + config.task + "'");
  write_file_atomic(request.out, task->encode_samples(samples, request.nrow, request.scale));
  return "";
}

std::string evaluate(const EvalRequest& request) {
  torch::Device device = resolve_device(request.device);
  TrainedGenerator trained = load_generator(request.checkpoint, device, request.raw_generator);
  Config& config = trained.config;
  if (!request.data_dir.empty()) config.data.dir = request.data_dir;
  if (request.n > 0) config.eval.samples = request.n;
  if (!request.metrics.empty()) config.eval.metrics = request.metrics;
  const int64_t seed = request.seed >= 0 ? request.seed : config.train.seed + 1;
  // Re-created with the (possibly changed) data directory.
  trained.task = find_task(config.task).create(config);
  auto evaluator =
      trained.task->make_evaluator(parse_eval_groups(*trained.task, config.eval.metrics), device);
  std::vector<Metric> metrics = evaluator->evaluate(
      generate(trained.generator, fixed_noise(config.model, config.eval.samples, seed, device)));

  EvalRecord record{trained.path, trained.step, config.eval.samples, seed, {},
                    trained.ema ? "generator_ema" : "generator"};
  std::string table = fmt::format("{} at step {}, {}, {} samples (noise seed {}):\n",
                                  trained.path, trained.step,
                                  trained.ema ? "generator EMA" : "generator", config.eval.samples,
                                  seed);
  for (const auto& m : metrics) {
    record.metrics.emplace_back(m.name, m.value);
    table += fmt::format("  {:<22} {:>12.4f}   {}\n", m.name, m.value, m.shown);
  }
  const std::string json = run_dir_of_checkpoint(trained.path) + "/eval.json";
  write_eval_json(json, record);
  spdlog::info("wrote {}", json);
  return table;
}

std::string report(const ReportRequest& request) {
  const std::string out =
      request.out.empty() ? RunDir{request.run_dir}.report_path() : request.out;
  write_file_atomic(out, build_report(request.run_dir));
  return out;
}

}  // namespace gantrain
