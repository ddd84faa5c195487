#include "gantrain/commands.h"

#include <chrono>
#include <filesystem>
#include <functional>

#include <spdlog/spdlog.h>

#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/eval_json.h"
#include "gantrain/io/npy.h"
#include "gantrain/io/png.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/run_state.h"
#include "gantrain/report/report.h"
#include "gantrain/run/sampling.h"
#include "gantrain/run/trained_generator.h"
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

// A PNG of each sample (no border), named by its index and, when conditional, its class.
void write_sample_files(const std::string& dir, const Task& task, const torch::Tensor& samples,
                        const torch::Tensor& labels, int64_t first, int64_t scale) {
  const SampleShape shape = task.sample_shape();
  torch::Tensor pixels = samples.to(torch::kCPU, torch::kFloat).contiguous();
  torch::Tensor classes = labels.defined() ? labels.to(torch::kCPU) : labels;
  for (int64_t i = 0; i < pixels.size(0); ++i) {
    std::string name = fmt::format("{:06d}", first + i);
    if (classes.defined()) name += fmt::format("_class{}", classes[i].item<int64_t>());
    const Image image = make_grid(pixels[i].data_ptr<float>(), 1, shape.channels, shape.side,
                                  shape.side, 1, /*pad=*/0);
    write_file_atomic(dir + "/" + name + ".png", encode_png(upscale(image, scale)));
  }
}

// Refuses a grid that would not fit in memory before anything is allocated: the noise and the
// samples in float, and the grid (an image, scaled) or the text. Files and arrays are written
// batch by batch and need one batch.
void check_grid_memory(const SampleRequest& request, int64_t n, const ModelConfig& model,
                       const SampleShape& shape, SampleKind kind) {
  const double features = static_cast<double>(shape.features);
  const double rows = static_cast<double>(n);
  const double scale = static_cast<double>(request.scale);
  const double bytes = 4 * rows * (static_cast<double>(model.latent_dim) + 2 * features) +
                       (kind == SampleKind::kImageGrid ? 2 * rows * features * scale * scale : 8 * rows);
  const double available = static_cast<double>(available_memory_bytes());
  if (bytes > 0.8 * available)
    throw ConfigError(fmt::format("gantrain sample: --n {} needs about {:.1f} GB (noise, samples "
                                  "and {}); {:.1f} GB of memory is available: ask for fewer, or "
                                  "write files (--out-dir) or an array (--format npy) batch by batch",
                                  n, bytes / 1e9,
                                  kind == SampleKind::kImageGrid ? "the grid" : "their text",
                                  available / 1e9));
}

// The request's draws: per_class and interpolate fix --n and the row length `nrow`.
SamplingOptions sampling_options(const SampleRequest& request, int64_t classes, int64_t& nrow) {
  SamplingOptions options;
  options.n = request.n;
  options.seed = request.seed;
  options.classes = request.classes;
  options.per_class = request.per_class;
  options.truncation = request.truncation;
  if (request.per_class > 0) {
    // One grid row per class drawn.
    const auto drawn = request.classes.empty() ? classes : static_cast<int64_t>(request.classes.size());
    options.n = request.per_class * std::max<int64_t>(drawn, 1);
    nrow = request.per_class;
  }
  if (request.interpolate) {
    if (nrow < 2) throw ConfigError("gantrain sample: --interpolate needs --nrow 2 or more");
    options.interpolate = nrow;
    options.n = (options.n + nrow - 1) / nrow * nrow;  // whole rows
  }
  return options;
}

// Class labels [N] int64 as a .npy file.
void write_labels_npy(const std::string& path, const torch::Tensor& labels) {
  torch::Tensor values = labels.to(torch::kCPU, torch::kLong).contiguous();
  write_file_atomic(path, npy_header("<i8", {values.numel()}) +
                              std::string(reinterpret_cast<const char*>(values.data_ptr<int64_t>()),
                                          static_cast<size_t>(values.numel()) * sizeof(int64_t)));
}

void make_directory(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error || !std::filesystem::is_directory(dir))
    throw Error(dir + ": cannot create the directory" +
                (error ? ": " + error.message() : std::string()));
}

// A line every few seconds while a long request runs.
class SampleProgress {
 public:
  explicit SampleProgress(int64_t total) : total_(total) {}
  void update(int64_t done) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (done < total_ && std::chrono::duration<double>(now - last_).count() < 2.0) return;
    if (elapsed < 1.0) return;
    last_ = now;
    const double rate = done / elapsed;
    spdlog::info("sample: {} of {} ({:.0f} samples/s, ETA {:.0f} s)", done, total_, rate,
                 (total_ - done) / std::max(rate, 1e-9));
  }

 private:
  int64_t total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
};

}  // namespace

ResumePoint find_resume_point(const std::string& path_or_run_dir) {
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, torch::kCPU);
  return {opened.path, config_from_yaml(opened.config_yaml, opened.path + " (config)")};
}

TrainedGenerator load_trained_generator(const std::string& path_or_run_dir, torch::Device device,
                                        bool raw) {
  TrainedGenerator out;
  OpenedCheckpoint opened = open_newest_valid_checkpoint(path_or_run_dir, device);
  out.path = opened.path;
  out.config = config_from_yaml(opened.config_yaml, out.path + " (config)");
  out.task = find_task(out.config.task).create(out.config);
  out.generator = out.task->make_generator();
  try {
    const GeneratorState state = load_generator_state(opened.archive, *out.generator, !raw);
    out.step = state.step;
    out.ema = state.ema;
    if (state.ema) spdlog::info("samples come from the generator EMA (--raw-generator: from G)");
  } catch (const c10::Error& e) {
    throw Error(out.path + ": generator does not load: " + first_line(e.what()));
  }
  out.generator->to(device);
  return out;
}

std::string sample(const SampleRequest& request) {
  torch::Device device = resolve_device(request.device);
  TrainedGenerator trained = load_trained_generator(request.checkpoint, device, request.raw_generator);
  const Config& config = trained.config;
  const Task& task = *trained.task;
  const SampleKind kind = task.sample_kind();
  const bool npy = request.format == SampleFormat::kNpy;
  if (request.scale > 1) check_grid_scale(task, config.task, "gantrain sample: --scale");
  if (!request.out.empty() && !request.out_dir.empty())
    throw ConfigError("gantrain sample: give --out FILE or --out-dir DIR, not both");
  if (kind == SampleKind::kText && !request.out_dir.empty() && !npy)
    throw ConfigError("gantrain sample: --out-dir writes images; task '" + config.task +
                      "' has text samples (use --out FILE, or --format npy)");
  if ((kind == SampleKind::kImageGrid || npy) && request.out.empty() && request.out_dir.empty())
    throw ConfigError("gantrain sample: --out FILE or --out-dir DIR is required" +
                      std::string(npy ? " with --format npy" : " for task '" + config.task + "'"));

  const int64_t classes = trained.generator->num_classes();
  int64_t nrow = request.nrow;
  const SamplingOptions options = sampling_options(request, classes, nrow);
  LatentStream latents(config.model, classes, options, device);

  const SampleShape shape = task.sample_shape();
  const bool whole = request.out_dir.empty() && !npy;  // a grid or text: all samples at once
  if (whole) {
    check_grid_memory(request, options.n, config.model, shape, kind);
    torch::Tensor samples = generate_samples(*trained.generator, latents.next(options.n));
    if (kind == SampleKind::kText && request.out.empty()) return task.samples_as_text(samples);
    write_file_atomic(request.out, task.encode_samples(samples, nrow, request.scale));
    spdlog::info("wrote {} samples to {}", options.n, request.out);
    return "";
  }
  // Batch by batch: the memory of one batch, whatever --n. A multiple of 16 rows keeps the noise
  // stream that of one draw (fixed_noise()).
  constexpr int64_t kBatch = 1024;
  SampleProgress progress(options.n);
  auto generate_all = [&](const std::function<void(const torch::Tensor&, const Latents&, int64_t)>& use) {
    int64_t done = 0;
    while (latents.remaining() > 0) {
      Latents batch = latents.next(kBatch);
      use(generate_samples(*trained.generator, batch), batch, done);
      done += batch.size();
      progress.update(done);
    }
  };
  if (!request.out_dir.empty()) make_directory(request.out_dir);
  if (!npy) {
    generate_all([&](const torch::Tensor& samples, const Latents& batch, int64_t first) {
      write_sample_files(request.out_dir, task, samples, batch.labels, first, request.scale);
    });
    spdlog::info("wrote {} samples to {} (one PNG each)", options.n, request.out_dir);
    return "";
  }
  const std::string file = request.out.empty() ? request.out_dir + "/samples.npy" : request.out;
  std::vector<int64_t> array_shape = {options.n, shape.features};
  if (shape.channels > 0) array_shape = {options.n, shape.channels, shape.side, shape.side};
  write_file_atomic(file, [&](std::ostream& out) {
    out << npy_header("<f4", array_shape);
    generate_all([&](const torch::Tensor& samples, const Latents&, int64_t) {
      torch::Tensor values = samples.to(torch::kCPU, torch::kFloat).contiguous();
      out.write(reinterpret_cast<const char*>(values.data_ptr<float>()),
                static_cast<std::streamsize>(values.numel() * sizeof(float)));
    });
  });
  spdlog::info("wrote {} samples to {}", options.n, file);
  if (classes > 0) {
    // The classes beside the array, as int64 [N]: FILE.labels.npy.
    const std::string labels_file =
        std::filesystem::path(file).replace_extension(".labels.npy").string();
    write_labels_npy(labels_file, sampling_labels(options, classes));
    spdlog::info("wrote the samples' classes to {}", labels_file);
  }
  return "";
}

std::string evaluate(const EvalRequest& request) {
  torch::Device device = resolve_device(request.device);
  TrainedGenerator trained = load_trained_generator(request.checkpoint, device, request.raw_generator);
  Config& config = trained.config;
  if (!request.data_dir.empty()) config.data.dir = request.data_dir;
  if (request.n > 0) config.eval.samples = request.n;
  if (!request.metrics.empty()) config.eval.metrics = request.metrics;
  if (request.truncation >= 0) config.eval.truncation = request.truncation;
  validate(config);  // a truncation for noise that is not gaussian
  const int64_t seed = request.seed >= 0 ? request.seed : config.train.seed + 1;
  // Re-created with the (possibly changed) data directory.
  trained.task = find_task(config.task).create(config);
  auto evaluator =
      trained.task->make_evaluator(parse_eval_groups(*trained.task, config.eval.metrics), device);
  // As training-time evaluation draws: classes in turn for a conditional generator.
  const Latents latents =
      evaluation_latents(config, trained.generator->num_classes(), seed, device);
  std::vector<Metric> metrics =
      evaluator->evaluate({generate_samples(*trained.generator, latents), latents.labels});
  EvalRecord record{trained.path, trained.step, config.eval.samples, seed, {},
                    trained.ema ? "generator_ema" : "generator"};
  std::string table = fmt::format("{} at step {}, {}, {} samples (noise seed {}{}):\n",
                                  trained.path, trained.step,
                                  trained.ema ? "generator EMA" : "generator", config.eval.samples,
                                  seed,
                                  config.eval.truncation > 0
                                      ? fmt::format(", truncated to +-{}", config.eval.truncation)
                                      : "");
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
