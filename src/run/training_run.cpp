#include "gantrain/run/training_run.h"

#include <spdlog/spdlog.h>

#include "gantrain/device.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/run_state.h"
#include "gantrain/run/sampling.h"

namespace gantrain {
namespace {

int64_t steps_to_train(const Config& config, int64_t batches_per_epoch) {
  if (config.train.steps > 0) return config.train.steps;
  const int64_t steps = config.train.epochs * batches_per_epoch / config.train.d_steps;
  if (steps <= 0)
    throw ConfigError("train.epochs = " + std::to_string(config.train.epochs) +
                      " needs a data set with epochs; set train.steps instead");
  return steps;
}

// The random states a checkpoint holds: this process's (rank 0's, in the file) and, in a
// data-parallel run, every rank's. A collective there: every rank calls it at every checkpoint.
RandomStates gather_rng_states(distributed::ProcessGroup* group, torch::Device device) {
  RandomStates states;
  states.cpu = generator_state(default_generator(torch::kCPU));
  if (!device.is_cpu()) states.device = generator_state(default_generator(device));
  if (group) {
    states.cpu_ranks = group->all_gather(states.cpu);
    if (states.device.defined()) states.device_ranks = group->all_gather(states.device);
  }
  return states;
}

}  // namespace

torch::Tensor fixed_noise(const ModelConfig& model, int64_t n, int64_t seed, torch::Device device) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  return sample_noise(model.noise, n, model.latent_dim, torch::kCPU, generator).to(device);
}

Latents evaluation_latents(const Config& config, int64_t classes, int64_t seed,
                           torch::Device device) {
  SamplingOptions options;
  options.n = config.eval.samples;
  options.seed = seed;
  options.truncation = config.eval.truncation;
  return LatentStream(config.model, classes, options, device).next(options.n);
}

TrainerOptions task_trainer_options(const Task& task, const Config& config) {
  TrainerOptions options = trainer_options(config);
  const SampleShape shape = task.sample_shape();
  options.image_channels = shape.channels;
  options.image_side = shape.side;
  return options;
}

TrainingRun::TrainingRun(const Config& config, torch::Device device,
                         distributed::ProcessGroup* group, bool measures)
    : config_(config),
      device_(device),
      group_(group),
      shard_(group ? Shard{group->rank(), group->world_size()} : Shard{}) {
  task_ = find_task(config_.task).create(config_);
  task_->prepare(config_, !group_ || group_->rank() == 0);
  if (config_.log.grid_scale > 1) check_grid_scale(*task_, config_.task, "log.grid_scale");
  // Before seeding, so nothing its set-up draws can move the run's random stream, and before
  // the run directory, so a bad eval.metrics or missing test data fails first.
  if (measures && config_.eval.every > 0)
    evaluator_ = task_->make_evaluator(parse_eval_groups(*task_, config_.eval.metrics), device_);
  seed_everything(static_cast<uint64_t>(config_.train.seed));
  data_ = task_->make_data(device_, shard_);
  Networks networks = make_networks(*task_, config_);
  trainer_ = std::make_unique<Trainer>(networks.generator, networks.discriminator,
                                       config_.model.latent_dim, task_trainer_options(*task_, config_), device_,
                                       group_, networks.ema);
  total_steps_ = steps_to_train(config_, data_->batches_per_epoch());
  const int64_t classes = networks.generator->num_classes();
  const int64_t row = config_.log.grid_nrow;
  grid_ = {fixed_noise(config_.model, classes > 0 ? classes * row : config_.log.grid_samples,
                       config_.train.seed, device_)};
  if (classes > 0) grid_.labels = cycled_labels(grid_.size(), classes, row, device_);
  if (measures) eval_ = evaluation_latents(config_, classes, config_.train.seed + 1, device_);
}

TrainingRun::~TrainingRun() = default;

void TrainingRun::resume(torch::serialize::InputArchive& archive, const std::string& name) {
  try {
    RunState state = load_run_state(archive, *trainer_, *data_, shard_);
    TORCH_CHECK(state.grid_noise.sizes() == grid_.noise.sizes(), "its grid noise is ",
                state.grid_noise.sizes(), ", this config makes ", grid_.noise.sizes());
    grid_.noise = state.grid_noise.to(device_);
    set_generator_state(default_generator(torch::kCPU), state.rng.cpu);
    // A CPU run resumed on a GPU has no device state: its stream starts from the seed.
    if (!device_.is_cpu() && state.rng.device.defined())
      set_generator_state(default_generator(device_), state.rng.device);
    if (state.saved_world_size != shard_.world_size && shard_.rank == 0)
      spdlog::info("the checkpoint was written by {} rank(s), this run has {}: the global "
                   "batch, data order and random streams carry over, but the gradient sums "
                   "regroup and dropout masks and batch-norm statistics follow the new shards, "
                   "so it does not repeat the old run bit for bit (docs/distributed.md)",
                   state.saved_world_size, shard_.world_size);
  } catch (const c10::Error& e) {
    throw Error(name + ": does not match this config: " + first_line(e.what()));
  }
  start_step_ = trainer_->step();
  if (total_steps_ <= start_step_)
    throw ConfigError(name + " is at step " + std::to_string(start_step_) +
                      ": to train on, set --steps (or --epochs) beyond it (now " +
                      std::to_string(total_steps_) + " steps)");
  spdlog::info("resumed from {} at step {}", name, start_step_);
}

void TrainingRun::checkpoint(torch::serialize::OutputArchive& archive) const {
  save_run_state(archive, {to_yaml(config_), grid_.noise, gather_rng_states(group_, device_)},
                 *trainer_, *data_);
}

void TrainingRun::fit(const FitHooks& hooks) { trainer_->fit(*data_, total_steps_, hooks); }

torch::Tensor TrainingRun::generate(const Latents& latents) {
  return generate_samples(*trainer_->sampling_generator(), latents);
}

}  // namespace gantrain
