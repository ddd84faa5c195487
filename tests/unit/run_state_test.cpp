// The checkpoint schema (io/run_state): a round trip through a stream gives every part back.
#include <sstream>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/io/run_state.h"
#include "gantrain/task.h"
#include "gantrain/trainer.h"
#include "support.h"

using namespace gantrain;

namespace {

class RunStateTest : public testing_support::SeedingFixture {
 protected:
  RunStateTest()
      : config_(default_config("even-bits")), task_(find_task("even-bits").create(config_)) {}
  std::unique_ptr<Trainer> make_trainer() const {
    return std::make_unique<Trainer>(task_->make_generator(), task_->make_discriminator(),
                                     config_.model.latent_dim, trainer_options(config_),
                                     torch::kCPU);
  }
  // save_run_state into a stream, and the archive read back from it.
  static torch::serialize::InputArchive round_trip(const RunState& state, const Trainer& trainer,
                                                   const BatchSource& data) {
    torch::serialize::OutputArchive out;
    save_run_state(out, state, trainer, data);
    std::stringstream stream;
    out.save_to(stream);
    torch::serialize::InputArchive in;
    in.load_from(stream);
    return in;
  }
  static bool same_parameters(torch::nn::Module& a, torch::nn::Module& b) {
    auto pa = a.parameters(), pb = b.parameters();
    if (pa.size() != pb.size()) return false;
    for (size_t i = 0; i < pa.size(); ++i)
      if (!torch::equal(pa[i], pb[i])) return false;
    return true;
  }
  Config config_;
  std::unique_ptr<Task> task_;
};

}  // namespace

TEST_F(RunStateTest, RoundTripThroughAStreamRestoresEveryPart) {
  auto trainer = make_trainer();
  auto data = task_->make_data(torch::kCPU, {});
  for (int i = 0; i < 3; ++i) trainer->train_step({data->next_batch()});
  RunState saved;
  saved.config_yaml = to_yaml(config_);
  saved.grid_noise = torch::randn({4, 7});
  saved.rng.cpu = generator_state(default_generator(torch::kCPU));
  // Two ranks whose rows differ, so that picking the wrong one shows.
  saved.rng.cpu_ranks = torch::stack({saved.rng.cpu, saved.rng.cpu.roll(1)});
  torch::serialize::InputArchive in = round_trip(saved, *trainer, *data);

  torch::manual_seed(99);  // a fresh trainer with other weights
  auto loaded_trainer = make_trainer();
  auto loaded_data = task_->make_data(torch::kCPU, {1, 2});
  RunState loaded = load_run_state(in, *loaded_trainer, *loaded_data, {1, 2});
  EXPECT_EQ(loaded.config_yaml, saved.config_yaml);
  EXPECT_TRUE(torch::equal(loaded.grid_noise, saved.grid_noise));
  EXPECT_TRUE(torch::equal(loaded.rng.cpu, saved.rng.cpu_ranks[1]));  // rank 1's own row
  EXPECT_FALSE(loaded.rng.device.defined());
  EXPECT_EQ(loaded.saved_world_size, 2);
  EXPECT_EQ(loaded_trainer->step(), 3);
  EXPECT_TRUE(same_parameters(*loaded_trainer->generator(), *trainer->generator()));
  EXPECT_TRUE(same_parameters(*loaded_trainer->discriminator(), *trainer->discriminator()));

  // Another world size takes rank 0's state (the re-shard), and says how many ranks wrote it.
  RunState one = load_run_state(in, *make_trainer(), *task_->make_data(torch::kCPU, {}), {});
  EXPECT_TRUE(torch::equal(one.rng.cpu, saved.rng.cpu));
  EXPECT_EQ(one.saved_world_size, 2);

  // `sample` and `eval` read the generator alone.
  Generator generator = task_->make_generator();
  EXPECT_EQ(load_generator_state(in, *generator, /*prefer_ema=*/true).step, 3);
  EXPECT_TRUE(same_parameters(*generator, *trainer->generator()));
}

TEST_F(RunStateTest, ASingleProcessCheckpointHasOneRow) {
  auto trainer = make_trainer();
  auto data = task_->make_data(torch::kCPU, {});
  RunState saved{to_yaml(config_), torch::zeros({2, 7}), {}};
  saved.rng.cpu = generator_state(default_generator(torch::kCPU));
  torch::serialize::InputArchive in = round_trip(saved, *trainer, *data);
  RunState loaded = load_run_state(in, *make_trainer(), *task_->make_data(torch::kCPU, {}), {});
  EXPECT_EQ(loaded.saved_world_size, 1);
  EXPECT_TRUE(torch::equal(loaded.rng.cpu, saved.rng.cpu));
}

// With train.ema_decay the checkpoint holds the average too: `sample` and `eval` read it unless
// told to take G, and a resume restores it.
TEST_F(RunStateTest, TheGeneratorEmaIsSavedAndPreferredForSampling) {
  Config config = config_;
  config.train.ema_decay = 0.9;
  Networks networks = make_networks(*task_, config);
  Trainer trainer(networks.generator, networks.discriminator, config.model.latent_dim,
                  trainer_options(config), torch::kCPU, nullptr, networks.ema);
  auto data = task_->make_data(torch::kCPU, {});
  for (int i = 0; i < 3; ++i) trainer.train_step({data->next_batch()});
  ASSERT_FALSE(same_parameters(*trainer.generator_ema(), *trainer.generator()));
  RunState saved{to_yaml(config), torch::zeros({2, 7}), {}};
  saved.rng.cpu = generator_state(default_generator(torch::kCPU));
  torch::serialize::InputArchive in = round_trip(saved, trainer, *data);

  Generator generator = task_->make_generator();
  GeneratorState state = load_generator_state(in, *generator, /*prefer_ema=*/true);
  EXPECT_TRUE(state.ema);
  EXPECT_TRUE(same_parameters(*generator, *trainer.generator_ema()));
  state = load_generator_state(in, *generator, /*prefer_ema=*/false);
  EXPECT_FALSE(state.ema);
  EXPECT_TRUE(same_parameters(*generator, *trainer.generator()));

  torch::manual_seed(99);
  Networks other = make_networks(*task_, config);
  Trainer resumed(other.generator, other.discriminator, config.model.latent_dim,
                  trainer_options(config), torch::kCPU, nullptr, other.ema);
  load_run_state(in, resumed, *task_->make_data(torch::kCPU, {}), {});
  EXPECT_TRUE(same_parameters(*resumed.generator_ema(), *trainer.generator_ema()));
}
