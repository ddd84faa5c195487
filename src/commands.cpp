#include "gantrain/commands.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/eval_json.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/run_state.h"
#include "gantrain/report/report.h"
#include "gantrain/run/training_run.h"
#include "gantrain/task.h"

namespace gantrain {
namespace {

Config config_from_yaml(const std::string& yaml, const std::string& name) {
  auto settings = read_config_text(yaml, name);
  Config config = default_config(task_named(settings, "even-bits"));
  apply_settings(config, settings);
  return config;
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

// Refuses a request whose samples would not fit in memory before anything is allocated: the
// noise and the samples in float, and the grid (an image, scaled) or the text.
void check_sample_memory(const SampleRequest& request, const ModelConfig& model,
                         GeneratorImpl& generator, SampleKind kind) {
  const double features = static_cast<double>(
      generate_samples(generator, fixed_noise(model, 1, 0, torch::kCPU).to(
                                      generator.parameters().front().device()))
          .numel());
  const double n = static_cast<double>(request.n);
  const double scale = static_cast<double>(request.scale);
  const double bytes = 4 * n * (static_cast<double>(model.latent_dim) + 2 * features) +
                       (kind == SampleKind::kImageGrid ? 2 * n * features * scale * scale : 8 * n);
  const double available = static_cast<double>(available_memory_bytes());
  if (bytes > 0.8 * available)
    throw ConfigError(fmt::format("gantrain sample: --n {} needs about {:.1f} GB (noise, samples "
                                  "and {}); {:.1f} GB of memory is available: ask for fewer",
                                  request.n, bytes / 1e9,
                                  kind == SampleKind::kImageGrid ? "the grid" : "their text",
                                  available / 1e9));
}

}  // namespace

ResumePoint find_resume_point(const std::string& path_or_run_dir) {
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, torch::kCPU);
  return {opened.path, config_from_yaml(opened.config_yaml, opened.path + " (config)")};
}

std::string sample(const SampleRequest& request) {
  torch::Device device = resolve_device(request.device);
  TrainedGenerator trained = load_generator(request.checkpoint, device, request.raw_generator);
  const Config& config = trained.config;
  auto& task = trained.task;
  if (request.scale > 1) check_grid_scale(*task, config.task, "gantrain sample: --scale");
  if (task->sample_kind() == SampleKind::kImageGrid && request.out.empty())
    throw ConfigError("gantrain sample: --out FILE is required for task '" + config.task + "'");
  check_sample_memory(request, config.model, *trained.generator, task->sample_kind());
  torch::Tensor samples = generate_samples(
      *trained.generator, fixed_noise(config.model, request.n, request.seed, device));
  if (task->sample_kind() == SampleKind::kText && request.out.empty())
    return task->samples_as_text(samples);
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
      generate_samples(*trained.generator, fixed_noise(config.model, config.eval.samples, seed, device)));

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
  const std::string json =
      request.out.empty() ? RunDir{run_dir_of_checkpoint(trained.path)}.eval_path() : request.out;
  write_eval_json(json, record);
  spdlog::info("wrote {}", json);
  if (const std::string pairs = evaluator->closest_pairs_png(); !pairs.empty()) {
    // Beside eval.json: in the run directory unless --out names another place.
    const std::string file =
        request.out.empty()
            ? RunDir{run_dir_of_checkpoint(trained.path)}.closest_pairs_path()
            : (std::filesystem::path(json).parent_path() / "closest_pairs.png").string();
    write_file_atomic(file, pairs);
    spdlog::info("wrote {} (samples over their nearest training images)", file);
  }
  return table;
}

std::string report(const ReportRequest& request) {
  const std::string out =
      request.out.empty() ? RunDir{request.run_dir}.report_path() : request.out;
  write_file_atomic(out, build_report(request.run_dir));
  return out;
}

}  // namespace gantrain
