#include <filesystem>
#include <fstream>

#include "gantrain/error.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/zip_check.h"
#include "support.h"

using namespace gantrain;
namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

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

TEST_F(CheckpointTest, AFlippedBitIsCaughtByTheZipChecksums) {
  auto a = archive(1);
  a.write("weights", torch::arange(4096, torch::kFloat));  // most of the file: one record
  save_checkpoint(a, run_, 1, 0);
  const std::string path = run_.checkpoint_path(1);
  std::string bytes = read_text(path);
  bytes[bytes.size() / 2] ^= 0x10;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  // LibTorch 1.13 alone would load this and hand back a changed tensor.
  EXPECT_THROW_MSG(read_archive(path, torch::kCPU), Error, path + ": not a readable checkpoint (checksum mismatch in archive/data/");
  EXPECT_THROW_MSG(verify_zip_checksums(bytes.substr(0, 40), "x.pt"), Error, "x.pt: not a readable checkpoint (no end of central directory");
  EXPECT_THROW_MSG(verify_zip_checksums("", "x.pt"), Error, "too short");
}

TEST_F(CheckpointTest, ResumeTakesTheNewestCheckpointThatReadsBack) {
  for (int64_t step : {100, 200, 300}) {
    auto a = archive(step);
    a.write("config", c10::IValue(std::string("task: even-bits\n")));
    save_checkpoint(a, run_, step, 0);
  }
  EXPECT_EQ(open_newest_valid_checkpoint(root_, torch::kCPU).path, run_.latest_checkpoint());
  // latest.pt is a hard link to step_000300.pt: truncating one truncates both.
  fs::resize_file(run_.latest_checkpoint(), 100);
  EXPECT_EQ(open_newest_valid_checkpoint(root_, torch::kCPU).path, run_.checkpoint_path(200));
  std::ofstream(run_.checkpoint_path(200), std::ios::trunc) << "not a zip archive";
  EXPECT_EQ(open_newest_valid_checkpoint(root_, torch::kCPU).path, run_.checkpoint_path(100));
  fs::remove(run_.checkpoint_path(100));
  EXPECT_THROW_MSG(open_newest_valid_checkpoint(root_, torch::kCPU), Error, "no valid checkpoint (");
  // A file is taken as named (no fall-back to another one); reading it reports what is wrong.
  EXPECT_THROW_MSG(open_newest_valid_checkpoint(run_.checkpoint_path(200), torch::kCPU), Error,
                   run_.checkpoint_path(200) + ": not a readable checkpoint");
}

TEST_F(CheckpointTest, KilledRunsLeftoversAreCleanedAndDoNotCountAsARun) {
  std::ofstream(run_.checkpoints_dir() + "/step_000100.pt.tmp") << "partial";
  std::ofstream(root_ + "/samples/step_000100.png.tmp") << "partial";
  std::ofstream(run_.metrics_path()) << "step,loss\n10,0.5\n";
  EXPECT_FALSE(holds_run(root_));  // nothing saved yet: starting over loses nothing
  EXPECT_THROW_MSG(open_newest_valid_checkpoint(root_, torch::kCPU), Error, "no checkpoints/latest.pt or step_N.pt");
  create_run_dir(root_);
  EXPECT_FALSE(fs::exists(run_.checkpoints_dir() + "/step_000100.pt.tmp"));
  EXPECT_FALSE(fs::exists(root_ + "/samples/step_000100.png.tmp"));
  auto a = archive(1);
  save_checkpoint(a, run_, 1, 0);
  EXPECT_TRUE(holds_run(root_));
}
