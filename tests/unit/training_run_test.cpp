// The training run as an object: built, checkpointed and resumed without a run directory.
#include <sstream>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/run/training_run.h"
#include "support.h"

namespace gantrain {
namespace {

using TrainingRunTest = testing_support::SeedingFixture;

Config even_bits(int64_t steps) {
  Config c = default_config("even-bits");
  c.train.steps = steps;
  c.model.d_hidden = {16};
  c.model.dropout = 0.3;      // draws from the run's random stream every step
  c.train.ema_decay = 0.9;    // one more state the checkpoint must carry
  return c;
}

std::vector<torch::Tensor> state_of(TrainingRun& run) {
  Trainer& t = run.trainer();
  std::vector<torch::Tensor> out;
  for (auto* module : std::initializer_list<torch::nn::Module*>{
           t.generator().get(), t.discriminator().get(), t.generator_ema().get()})
    for (const auto& p : module->parameters()) out.push_back(p.detach().clone());
  for (const FlatAdam* o : {&t.generator_optimizer(), &t.discriminator_optimizer()})
    for (size_t i = 0; i < o->params().size(); ++i) {
      out.push_back(o->exp_avg(i).clone());
      out.push_back(o->exp_avg_sq(i).clone());
    }
  out.push_back(t.counters().interval_sum.clone());
  // The random stream goes on alike too (noise, dropout and even-bits' data come from it).
  out.push_back(generator_state(default_generator(torch::kCPU)));
  return out;
}

// Three steps, a checkpoint into memory, three more steps from it: bit for bit the six steps of
// an uninterrupted run (models, EMA, both Adam states, the log interval's sums, the data).
TEST_F(TrainingRunTest, ACheckpointInMemoryResumesBitForBit) {
  std::stringstream buffer;
  {
    TrainingRun first(even_bits(3), torch::kCPU, nullptr, false);
    first.fit({});
    torch::serialize::OutputArchive archive;
    first.checkpoint(archive);
    archive.save_to(buffer);
  }
  TrainingRun resumed(even_bits(6), torch::kCPU, nullptr, false);
  torch::serialize::InputArchive archive;
  archive.load_from(buffer);
  resumed.resume(archive, "memory");
  EXPECT_EQ(resumed.start_step(), 3);
  resumed.fit({});
  const auto a = state_of(resumed);
  TrainingRun straight(even_bits(6), torch::kCPU, nullptr, false);
  straight.fit({});
  const auto b = state_of(straight);
  ASSERT_EQ(resumed.trainer().step(), 6);
  ASSERT_EQ(straight.trainer().step(), 6);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "tensor " << i;
}

TEST_F(TrainingRunTest, ResumingAtOrPastTheEndIsRefused) {
  std::stringstream buffer;
  TrainingRun first(even_bits(3), torch::kCPU, nullptr, false);
  first.fit({});
  torch::serialize::OutputArchive out;
  first.checkpoint(out);
  out.save_to(buffer);
  TrainingRun same_length(even_bits(3), torch::kCPU, nullptr, false);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  EXPECT_THROW_MSG(same_length.resume(in, "memory"), ConfigError,
                   "memory is at step 3: to train on, set --steps (or --epochs) beyond it (now 3 "
                   "steps)");
}

}  // namespace
}  // namespace gantrain
