// The classic toy: learn to emit even integers in [0, 128) as 7-bit vectors.
#include <spdlog/fmt/fmt.h>

#include <map>
#include <sstream>

#include "gantrain/data/bits.h"
#include "gantrain/error.h"
#include "gantrain/model_factory.h"
#include "gantrain/metrics/even_bits_metrics.h"
#include "tasks/tasks.h"

namespace gantrain::detail {
namespace {

constexpr int64_t kBits = 7;

// Endless stream of uniformly random even integers, encoded as bits. Every rank draws the
// whole global batch and keeps its shard.
class EvenIntegers : public BatchSource {
 public:
  EvenIntegers(int64_t batch_size, torch::Device device, Shard shard)
      : batch_size_(batch_size), device_(device), shard_(shard) {
    auto options = torch::TensorOptions().dtype(torch::kLong).device(device_);
    bits_of_evens_ = to_bits(torch::arange(0, 1 << kBits, 2, options), kBits);
  }
  Batch next_batch() override {
    // Row i of the table is 2i in bits: three small ops a batch instead of converting each.
    auto options = torch::TensorOptions().dtype(torch::kLong).device(device_);
    torch::Tensor halves = torch::randint(0, 1 << (kBits - 1), {batch_size_}, options);
    const int64_t rows = batch_size_ / shard_.world_size;
    return bits_of_evens_.index_select(0, halves.narrow(0, shard_.rank * rows, rows));
  }
  int64_t epoch() const override { return 1; }
  int64_t batches_per_epoch() const override { return 0; }

 private:
  int64_t batch_size_;  // global
  torch::Device device_;
  Shard shard_;
  torch::Tensor bits_of_evens_;  // [64, 7]: the bits of 0, 2, ..., 126
};

// Generated bit vectors [N, 7] as the integers they encode.
std::vector<int64_t> integers_of(const torch::Tensor& samples) {
  torch::Tensor integers = from_bits(samples).to(torch::kCPU, torch::kLong).contiguous();
  return {integers.data_ptr<int64_t>(), integers.data_ptr<int64_t>() + integers.numel()};
}

// The toy's metrics of generated bit vectors [N, 7]: the progress line's and eval's.
std::vector<Metric> even_bits_metrics(const torch::Tensor& samples) {
  EvenBitsStats s = even_bits_stats(integers_of(samples));
  return {{"even_fraction", s.even_fraction, fmt::format("even {:.1f}%", 100 * s.even_fraction)},
          {"distinct", static_cast<double>(s.distinct), fmt::format("distinct {}", s.distinct)},
          {"distinct_even", static_cast<double>(s.distinct_even),
           fmt::format("evens {}/64", s.distinct_even)},
          {"kl_even_uniform", s.kl_even_uniform, fmt::format("KL {:.3f}", s.kl_even_uniform)}};
}

// gantrain eval for the toy: the task metrics, selected by group, in names() order.
class EvenBitsEvaluator : public Evaluator {
 public:
  explicit EvenBitsEvaluator(std::vector<std::string> names) : names_(std::move(names)) {}
  std::vector<std::string> names() const override { return names_; }
  std::vector<Metric> evaluate(const Batch& generated) override {
    const torch::Tensor& samples = generated.samples;
    std::vector<Metric> all = even_bits_metrics(samples), out;
    for (const auto& name : names_)
      for (const Metric& m : all)
        if (m.name == name) out.push_back(m);
    return out;
  }

 private:
  std::vector<std::string> names_;
};

class EvenBits : public Task {
 public:
  explicit EvenBits(const Config& config) : config_(config) {}
  std::string title() const override { return "even-bits"; }
  void prepare(Config& config, bool announce) override {
    (void)announce;
    if (config.data.classes != 0)
      throw ConfigError("data.classes = " + std::to_string(config.data.classes) +
                        ": even-bits has no labels (the key is for labelled data)");
  }
  SampleShape sample_shape() const override { return {kBits}; }
  Generator make_generator() const override {
    return gantrain::make_generator(config_, {kBits}, MlpOutput::kSigmoid);
  }
  Discriminator make_discriminator() const override {
    return gantrain::make_discriminator(config_, {kBits});
  }
  std::unique_ptr<BatchSource> make_data(torch::Device device, Shard shard) const override {
    return std::make_unique<EvenIntegers>(config_.train.batch_size, device, shard);
  }
  std::vector<std::string> metric_names() const override {
    return {"even_fraction", "distinct", "distinct_even", "kl_even_uniform"};
  }
  std::vector<Metric> metrics(const torch::Tensor& samples) const override {
    return even_bits_metrics(samples);
  }
  // Groups of metrics(): which columns each selects.
  std::vector<std::string> eval_groups() const override { return {"even", "modes", "kl"}; }
  std::unique_ptr<Evaluator> make_evaluator(const std::vector<std::string>& groups,
                                            torch::Device) const override {
    static const std::map<std::string, std::vector<std::string>> columns = {
        {"even", {"even_fraction"}}, {"modes", {"distinct", "distinct_even"}},
        {"kl", {"kl_even_uniform"}}};
    std::vector<std::string> names;
    for (const auto& g : groups) names.insert(names.end(), columns.at(g).begin(), columns.at(g).end());
    return std::make_unique<EvenBitsEvaluator>(names);
  }
  std::string samples_as_text(const torch::Tensor& samples) const override {
    torch::Tensor integers = from_bits(samples).cpu();
    std::ostringstream out;
    out << '[';
    for (int64_t i = 0; i < integers.size(0); ++i) out << (i ? ", " : "") << integers[i].item<int64_t>();
    out << ']';
    return out.str();
  }
  SampleKind sample_kind() const override { return SampleKind::kText; }
  std::string encode_samples(const torch::Tensor& samples, int64_t, int64_t) const override {
    return samples_as_text(samples) + "\n";
  }

 private:
  Config config_;
};

}  // namespace

TaskEntry even_bits_task() {
  TaskEntry entry;
  entry.name = "even-bits";
  entry.summary = "the classic toy: 7-bit integers, learn to emit only even numbers";
  entry.set_defaults = [](Config&) {};  // Config{}'s initializers are this task's defaults
  entry.create = [](const Config& c) { return std::make_unique<EvenBits>(c); };
  return entry;
}

}  // namespace gantrain::detail
