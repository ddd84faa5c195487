#pragma once
// Registry entries of the built-in tasks; each lives in its own .cpp under src/tasks/.
#include "gantrain/data/idx.h"
#include "gantrain/metrics/sample_quality.h"
#include "gantrain/task.h"

namespace gantrain::detail {

TaskEntry even_bits_task();
TaskEntry mnist_task();
TaskEntry images_task();

/// Side of MNIST-format images.
constexpr int64_t kMnistSide = 28;

/// The IDX directory a data config names (data.dir, else $GANTRAIN_DATA or the dataset's).
std::string mnist_data_directory(const DataConfig& data);

/// Loads split "train" or "t10k" of 28x28 images; errors say how to get missing data.
MnistSplit load_mnist_data(const DataConfig& data, const std::string& split);

/// The MNIST evaluator (src/tasks/mnist_eval.cpp): classifier-based metrics and Parzen.
std::unique_ptr<Evaluator> make_mnist_evaluator(const Config& config,
                                                const std::vector<std::string>& groups,
                                                torch::Device device);

/// The images task's training images as its evaluator sees them (src/tasks/images.cpp).
struct ImageSet {
  torch::Tensor pixels;              ///< [N, channels * side * side] uint8 on the CPU
  torch::Tensor labels;              ///< [N] int64: class index, -1 for top-level files
  std::vector<std::string> classes;  ///< class names (first-level folders), by index
  int64_t channels = 0;
  int64_t side = 0;
  std::string key;                   ///< names these pixels and labels for caches (8+ hex digits)
};

/// The "classes" metric group of a conditional generator, for `classes` classes: class fidelity
/// and intra-FID, their means first, then per class ("class_fidelity_3", "intra_fid_3").
std::vector<std::string> class_metric_names(int64_t classes);

/// class_metric_names()'s values.
std::vector<Metric> class_metrics(const ClassScores& scores);

/// Whether the evaluator measures the "classes" group: only a conditional run has classes to
/// ask for. Throws ConfigError when eval.metrics names the group for an unconditional run.
bool measures_classes(const Config& config, const std::vector<std::string>& groups);

/// The images task's metric groups (eval.metrics), in report order.
std::vector<std::string> images_eval_groups();

/// The images evaluator (src/tasks/images_eval.cpp).
std::unique_ptr<Evaluator> make_images_evaluator(const Config& config, const ImageSet& data,
                                                 const std::vector<std::string>& groups,
                                                 torch::Device device);

}  // namespace gantrain::detail
