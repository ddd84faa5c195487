#include <filesystem>
#include <fstream>

#include "gantrain/error.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/metrics_csv.h"
#include "gantrain/io/run_dir.h"
#include "support.h"

using namespace gantrain;
namespace fs = std::filesystem;

namespace {

class CheckpointTest : public testing_support::SeedingFixture {
 protected:
  void SetUp() override {
    SeedingFixture::SetUp();
    root_ = (fs::temp_directory_path() / ("gantrain_ckpt_" + std::to_string(::getpid()))).string();
    fs::remove_all(root_);
    run_ = create_run_dir(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  torch::serialize::OutputArchive archive(int64_t value) {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(kCheckpointFormat));
    a.write("value", torch::tensor(value));
    return a;
  }
  std::string root_;
  RunDir run_;
};

}  // namespace

TEST_F(CheckpointTest, WritesStepFileAndLatestAndKeepsTheNewest) {
  for (int64_t step : {100, 200, 300, 400}) {
    auto a = archive(step);
    save_checkpoint(a, run_, step, 2);
  }
  EXPECT_FALSE(fs::exists(run_.checkpoint_path(100)));
  EXPECT_FALSE(fs::exists(run_.checkpoint_path(200)));
  EXPECT_TRUE(fs::exists(run_.checkpoint_path(300)));
  EXPECT_TRUE(fs::exists(run_.checkpoint_path(400)));
  auto in = read_archive(resolve_checkpoint(root_), torch::kCPU);
  torch::Tensor value;
  in.read("value", value);
  EXPECT_EQ(value.item<int64_t>(), 400);
  for (const auto& e : fs::directory_iterator(run_.checkpoints_dir()))
    EXPECT_EQ(e.path().extension(), ".pt") << "left behind: " << e.path();
}

TEST_F(CheckpointTest, TruncatedOrForeignFilesAreClearErrors) {
  auto a = archive(1);
  save_checkpoint(a, run_, 1, 0);
  std::string path = run_.checkpoint_path(1);
  auto size = fs::file_size(path);
  fs::resize_file(path, size / 2);
  EXPECT_THROW_MSG(read_archive(path, torch::kCPU), Error, path + ": not a readable checkpoint");

  std::string other = root_ + "/other.pt";
  torch::serialize::OutputArchive foreign;
  foreign.write("weights", torch::ones({2}));
  foreign.save_to(other);
  EXPECT_THROW_MSG(read_archive(other, torch::kCPU), Error, "not a gantrain checkpoint");
  EXPECT_THROW_MSG(resolve_checkpoint(root_ + "/missing"), Error, "checkpoint not found");
}

TEST_F(CheckpointTest, MetricsCsvDropsRowsAResumeWillRedo) {
  {
    MetricsCsv csv(run_.metrics_path(), {"step", "loss"}, 0);
    for (int step : {10, 20, 30}) csv.append({double(step), 0.5});
  }
  { MetricsCsv csv(run_.metrics_path(), {"step", "loss"}, 20); }
  std::ifstream in(run_.metrics_path());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "step,loss\n10,0.5\n20,0.5\n");
  EXPECT_THROW_MSG(MetricsCsv(run_.metrics_path(), {"step", "other"}, 0), Error, "differ");
}
