#pragma once
/// A task knows its data, its two models' shapes and its metrics; the trainer knows none of it.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gantrain/config.h"
#include "gantrain/data/batch_source.h"
#include "gantrain/model_factory.h"
#include "gantrain/models/gan_modules.h"

namespace gantrain {

/// One task-specific measurement of generated samples.
struct Metric {
  std::string name;   ///< metrics.csv column, e.g. "even_fraction"
  double value = 0;   ///< the number written to metrics.csv
  std::string shown;  ///< how the progress line shows it, e.g. "even 100%"
};

/// Measures generated samples against the task's real data (gantrain eval, eval.every).
class Evaluator {
 public:
  virtual ~Evaluator() = default;
  /// Names of the metrics evaluate() returns, in order (metrics.csv columns).
  virtual std::vector<std::string> names() const = 0;
  /// Measures generated samples [N, features of one real sample], with the classes they were
  /// drawn for when the generator is conditional.
  virtual std::vector<Metric> evaluate(const Batch& generated) = 0;
  /// PNG bytes of the last evaluate()'s closest (sample, training image) pairs, samples on top:
  /// for the run directory and the report; empty where the evaluator makes none.
  virtual std::string closest_pairs_png() const { return {}; }
};

/// The task-specific half of a run.
class Task {
 public:
  virtual ~Task() = default;
  /// What the run trains on, for the start line and the report: "even-bits", "fashion-mnist".
  virtual std::string title() const = 0;
  /// Loads what the task's data decides before a run is built, and writes it into `config`
  /// and the task's own copy (the images task: data.channels when 0, DCGAN widths left empty).
  /// `announce`: log what was found (the writing rank). Most tasks need nothing.
  virtual void prepare(Config& config, bool announce) { (void)config; (void)announce; }
  /// Files that describe the data, for the run directory: {name, bytes} (after make_data).
  virtual std::vector<std::pair<std::string, std::string>> data_files() const { return {}; }
  /// What one sample is: its numbers and, for images, their layout (after prepare()).
  virtual SampleShape sample_shape() const = 0;
  /// Generator for this task, freshly initialised from the global RNG.
  virtual Generator make_generator() const = 0;
  /// Discriminator for this task (logits out), freshly initialised from the global RNG.
  virtual Discriminator make_discriminator() const = 0;
  /// Real training batches on `device`: this shard's rows of each global batch
  /// (train.batch_size).
  virtual std::unique_ptr<BatchSource> make_data(torch::Device device, Shard shard) const = 0;
  /// metrics.csv columns that metrics() fills, in order (may be empty).
  virtual std::vector<std::string> metric_names() const { return {}; }
  /// Task metrics of generated samples [n, features of one real sample].
  virtual std::vector<Metric> metrics(const torch::Tensor& samples) const { (void)samples; return {}; }
  /// Samples as short text for the progress line and `gantrain sample`; empty for images.
  virtual std::string samples_as_text(const torch::Tensor& samples) const { (void)samples; return {}; }
  /// Metric groups make_evaluator() accepts, in the order they are reported.
  virtual std::vector<std::string> eval_groups() const = 0;
  /// Evaluator of the given groups (a subset of eval_groups()); slow set-up happens here.
  virtual std::unique_ptr<Evaluator> make_evaluator(const std::vector<std::string>& groups,
                                                    torch::Device device) const = 0;
  /// What the sample files hold: image grids (png) or text (txt).
  virtual SampleKind sample_kind() const = 0;
  /// Generated samples [n, features] as the bytes of a sample file: for images a PNG grid of
  /// `nrow` per row, each pixel drawn `scale` x `scale`; otherwise samples_as_text().
  virtual std::string encode_samples(const torch::Tensor& samples, int64_t nrow,
                                     int64_t scale) const = 0;
};

/// A registered task: its name, a one-line summary, its defaults and its factory.
struct TaskEntry {
  std::string name;
  std::string summary;
  std::function<void(Config&)> set_defaults;                      ///< on top of Config{}
  std::function<std::unique_ptr<Task>(const Config&)> create;     ///< config is validated
};

/// The groups a comma-separated list names ("all" = every group of the task); throws
/// ConfigError naming an unknown group and the valid ones.
std::vector<std::string> parse_eval_groups(const Task& task, const std::string& list);

/// Scaling a sample grid (log.grid_scale, `sample --scale`) applies to image tasks only: throws
/// ConfigError "<setting> applies to image grids, not to task '<name>' ..." for a task whose
/// samples are text.
void check_grid_scale(const Task& task, const std::string& name, const std::string& setting);

/// All tasks, in --help order.
const std::vector<TaskEntry>& task_registry();

/// The entry named `name`; throws ConfigError listing the known tasks.
const TaskEntry& find_task(const std::string& name);

/// A run's networks, freshly initialised.
struct Networks {
  Generator generator;
  Discriminator discriminator;
  Generator ema;  ///< the generator EMA's module (train.ema_decay > 0), else nullptr
};

/// G, then D, drawn from the global RNG; the EMA's module is built without moving that stream
/// (the trainer overwrites it with G's weights), so a run with EMA trains the same G as without.
Networks make_networks(const Task& task, const Config& config);

}  // namespace gantrain
