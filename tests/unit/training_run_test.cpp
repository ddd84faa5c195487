// The training run as an object: built, checkpointed and resumed without a run directory.
#include <sstream>
#include <string>

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

// A checkpoint into memory and back, as --resume reads one from a file. It holds the random
// stream as it is when written, so write it straight after the steps it follows.
std::string checkpoint_in_memory(TrainingRun& run) {
  std::ostringstream buffer;
  torch::serialize::OutputArchive out;
  run.checkpoint(out);
  out.save_to(buffer);
  return buffer.str();
}

void resume_from_memory(TrainingRun& run, const std::string& checkpoint) {
  std::istringstream buffer(checkpoint);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  run.resume(in, "memory");
}

// Three steps, a checkpoint into memory, three more steps from it: bit for bit the six steps of
// an uninterrupted run (models, EMA, both Adam states, the log interval's sums, the data).
TEST_F(TrainingRunTest, ACheckpointInMemoryResumesBitForBit) {
  std::string checkpoint;
  {
    TrainingRun first(even_bits(3), torch::kCPU, nullptr, false);
    first.fit({});
    checkpoint = checkpoint_in_memory(first);
  }
  // Its seeding resets the random stream, which only the checkpoint brings back to step 3.
  TrainingRun resumed(even_bits(6), torch::kCPU, nullptr, false);
  resume_from_memory(resumed, checkpoint);
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
  TrainingRun first(even_bits(3), torch::kCPU, nullptr, false);
  first.fit({});
  const std::string checkpoint = checkpoint_in_memory(first);
  TrainingRun same_length(even_bits(3), torch::kCPU, nullptr, false);
  EXPECT_THROW_MSG(resume_from_memory(same_length, checkpoint), ConfigError,
                   "memory is at step 3: to train on, set --steps (or --epochs) beyond it (now 3 "
                   "steps)");
}

}  // namespace
}  // namespace gantrain
