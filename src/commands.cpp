#include "gantrain/commands.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <set>

#include "gantrain/build_info.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/console_sink.h"
#include "gantrain/io/eval_json.h"
#include "gantrain/io/metrics_csv.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/run_info.h"
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

torch::Tensor generate(Mlp& generator, const torch::Tensor& noise) {
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
  Mlp generator{nullptr};
  int64_t step = 0;
};

TrainedGenerator load_generator(const std::string& path_or_run_dir, torch::Device device) {
  TrainedGenerator out;
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, device);
  out.path = opened.path;
  auto& archive = opened.archive;
  out.config = config_from_yaml(opened.config_yaml, out.path + " (config)");
  out.task = find_task(out.config.task).create(out.config);
  out.generator = out.task->make_generator();
  try {
    torch::serialize::InputArchive g;
    torch::Tensor step;
    archive.read("generator", g);
    load_parameters(out.generator, g);
    archive.read("step", step);
    out.step = step.item<int64_t>();
  } catch (const c10::Error& e) {
    throw Error(out.path + ": generator does not load: " + first_line(e.what()));
  }
  out.generator->to(device);
  return out;
}

}  // namespace

ResumePoint find_resume_point(const std::string& path_or_run_dir) {
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, torch::kCPU);
  return {opened.path, config_from_yaml(opened.config_yaml, opened.path + " (config)")};
}

TrainResult train(const TrainRequest& request) {
  const Config& config = request.config;
  torch::Device device = resolve_device(config.train.device);
  set_compute_threads(config.train.threads);
  if (config.log.out.empty()) throw ConfigError("log.out: no run directory given");
  if (request.resume_checkpoint.empty() && holds_run(config.log.out))
    throw ConfigError(config.log.out + " already holds a run: continue it with --resume " +
                      config.log.out + ", or choose another --out");
  auto task = find_task(config.task).create(config);
  // Built before seeding, so nothing its set-up draws can move the run's random stream, and
  // before the run directory, so a bad eval.metrics or missing test data fails first.
  std::unique_ptr<Evaluator> evaluator;
  if (config.eval.every > 0)
    evaluator = task->make_evaluator(parse_eval_groups(*task, config.eval.metrics), device);
  seed_everything(static_cast<uint64_t>(config.train.seed));

  auto data = task->make_data(device);
  Trainer trainer(task->make_generator(), task->make_discriminator(), config.model.latent_dim,
                  trainer_options(config), device);
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
      torch::serialize::InputArchive data_state;
      torch::Tensor cpu_rng, device_rng;
      trainer.load(archive);
      archive.read("data", data_state);
      data->load(data_state);
      archive.read("grid_noise", grid_noise);
      archive.read("rng_cpu", cpu_rng);
      // The archive was opened on the training device; generator states live on the CPU.
      set_generator_state(default_generator(torch::kCPU), cpu_rng.cpu());
      // A CPU run resumed on a GPU has no device state: its stream starts from the seed.
      if (!device.is_cpu() && archive.try_read("rng_device", device_rng))
        set_generator_state(default_generator(device), device_rng.cpu());
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
  // Everything that can fail on bad input has been checked: only now touch the disk.
  RunDir run = create_run_dir(config.log.out);
  if (request.on_run_dir) request.on_run_dir(run.root);
  write_file_atomic(run.config_path(), to_yaml(config));

  write_run_info(run.run_info_path(), {GANTRAIN_VERSION, build_description(), device.str(),
                                       at::get_num_threads(), utc_now_iso8601(),
                                       std::max<int64_t>(resumed_step, 0)});

  // Column order: training statistics, task metrics, eval metrics, speed and time.
  std::vector<std::string> columns = {"step", "epoch", "d_loss", "g_loss", "d_real", "d_fake"};
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
                  {"g_loss", p.g_loss},       {"d_real", p.d_real},
                  {"d_fake", p.d_fake},       {"steps_per_s", steps_per_s},
                  {"images_per_s", steps_per_s * static_cast<double>(config.train.batch_size *
                                                                     config.train.d_steps)}};
    if (!task->metric_names().empty())
      for (const auto& m : task->metrics(generate(trainer.generator(), eval_noise))) {
        row.values[m.name] = m.value;
        row.shown.push_back(m.shown);
      }
    // A glimpse of the fixed-noise samples (even-bits: the first decoded integers).
    torch::Tensor glimpse = grid_noise.narrow(0, 0, std::min<int64_t>(8, grid_noise.size(0)));
    std::string text = task->samples_as_text(generate(trainer.generator(), glimpse));
    if (!text.empty()) row.sample_text = text.substr(0, text.size() - 1) + ", ...]";
    if (evaluator && (p.step % config.eval.every == 0 || p.step == p.total_steps)) {
      for (const auto& m : evaluator->evaluate(generate(trainer.generator(), eval_noise))) {
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
    const std::string bytes = task->encode_samples(generate(trainer.generator(), grid_noise),
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
    torch::serialize::OutputArchive archive, data_state;
    archive.write("format", c10::IValue(kCheckpointFormat));
    archive.write("config", c10::IValue(to_yaml(config)));
    trainer.save(archive);
    data->save(data_state);
    archive.write("data", data_state);
    archive.write("rng_cpu", generator_state(default_generator(torch::kCPU)));
    if (!device.is_cpu()) archive.write("rng_device", generator_state(default_generator(device)));
    archive.write("grid_noise", grid_noise);
    save_checkpoint(archive, run, trainer.step(), config.log.keep_checkpoints);
  };
  hooks.on_sample = [&] { untimed(write_samples); };
  hooks.on_checkpoint = [&] { untimed(write_checkpoint); };

  spdlog::info("{} on {}: {} steps, batch {}, run directory {}", config.task, device.str(),
               total_steps, config.train.batch_size, run.root);
  trainer.fit(*data, total_steps, hooks);

  TrainResult result{run.root, trainer.step(), trainer.step() < total_steps};
  if (!result.stopped) {
    std::string summary;
    if (!task->metric_names().empty())
      for (const auto& m : task->metrics(generate(trainer.generator(), eval_noise)))
        if (!m.shown.empty()) summary += (summary.empty() ? "" : ", ") + m.shown;
    spdlog::info("done: {} steps in {:.3f} s{}{}; checkpoint {}", trainer.step(), elapsed(),
                 summary.empty() ? "" : "; over " + std::to_string(config.eval.samples) +
                                            " samples: ",
                 summary, run.latest_checkpoint());
  }
  if (config.log.report) write_report_logged(run.root, run.report_path());
  return result;
}

std::string sample(const SampleRequest& request) {
  torch::Device device = resolve_device(request.device);
  TrainedGenerator trained = load_generator(request.checkpoint, device);
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
  TrainedGenerator trained = load_generator(request.checkpoint, device);
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

  EvalRecord record{trained.path, trained.step, config.eval.samples, seed, {}};
  std::string table = fmt::format("{} at step {}, {} samples (noise seed {}):\n", trained.path,
                                  trained.step, config.eval.samples, seed);
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
