// The images task on a small folder made at test time: what it resolves from the data, the
// batches it draws, the files it writes beside a run, and exact resume.
#include <filesystem>
#include <sstream>

#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/error.h"
#include "gantrain/run/training_run.h"
#include "image_fixtures.h"
#include "support.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;
using test_images::png_bytes;
using test_images::solid;
using test_images::write_file;

class ImagesTaskTest : public testing_support::SeedingFixture {
 protected:
  void SetUp() override {
    SeedingFixture::SetUp();
    static int counter = 0;
    root_ = (fs::temp_directory_path() /
             ("gantrain_images_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                .string();
    fs::remove_all(root_);
    // 8 gray pictures in two classes, one of them wider than tall; a bad file.
    for (int i = 0; i < 4; ++i) {
      write_file(root_ + "/pictures/a/" + std::to_string(i) + ".png",
                 png_bytes(solid(12, 6, 1, {uint8_t(40 * i), 0, 0, 255})));
      write_file(root_ + "/pictures/b/" + std::to_string(i) + ".PNG",
                 png_bytes(solid(6, 6, 1, {uint8_t(255 - 40 * i), 0, 0, 255})));
    }
    write_file(root_ + "/pictures/b/broken.png", "");
  }
  void TearDown() override { fs::remove_all(root_); }

  Config images(int64_t steps) const {
    Config c = default_config("images");
    c.data.dir = root_ + "/pictures";
    c.data.cache_dir = root_ + "/cache";
    c.data.resolution = 8;
    c.data.mirror = true;  // draws from the run's random stream every batch
    c.train.steps = steps;
    c.train.batch_size = 4;
    c.log.grid_samples = 4;
    c.log.grid_nrow = 2;
    return c;
  }

  std::string root_;
};

TEST_F(ImagesTaskTest, PrepareResolvesChannelsAndDcganWidthsFromTheData) {
  Config config = images(1);
  EXPECT_EQ(config.data.channels, 0);
  EXPECT_TRUE(config.model.g_channels.empty());
  TrainingRun run(config, torch::kCPU, nullptr, false);
  EXPECT_EQ(run.config().data.channels, 1);  // every picture is gray
  EXPECT_EQ(run.config().model.g_channels, (std::vector<int64_t>{64}));  // 4x4 -> 8x8
  EXPECT_EQ(run.config().model.d_channels, (std::vector<int64_t>{64}));
  torch::Tensor batch = run.data().next_batch().samples;
  EXPECT_EQ(batch.sizes(), (std::vector<int64_t>{4, 64}));
  EXPECT_GE(batch.min().item<float>(), -1.0f);
  EXPECT_LE(batch.max().item<float>(), 1.0f);
  EXPECT_EQ(run.batches_per_epoch(), 2);
  EXPECT_EQ(run.generate(run.grid_latents()).sizes(), (std::vector<int64_t>{4, 64}));
}

TEST_F(ImagesTaskTest, DefaultWidthsFollowTheResolution) {
  for (auto [side, g] : {std::pair<int64_t, std::vector<int64_t>>{28, {128, 64}},
                         {32, {256, 128, 64}},
                         {64, {512, 256, 128, 64}},
                         {128, {512, 512, 256, 128, 64}}}) {
    Config config = images(1);
    config.data.resolution = side;
    config.data.channels = 3;
    auto task = find_task("images").create(config);
    task->prepare(config, false);
    EXPECT_EQ(config.model.g_channels, g) << side;
    EXPECT_EQ(task->make_generator()->forward(torch::zeros({2, 100})).sizes(),
              (std::vector<int64_t>{2, 3 * side * side}))
        << side;
  }
}

TEST_F(ImagesTaskTest, DataFilesNameTheClassesAndEverySkippedFile) {
  Config config = images(1);
  auto task = find_task("images").create(config);
  task->prepare(config, false);
  task->make_data(torch::kCPU, {});
  const auto files = task->data_files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].first, "labels.json");
  EXPECT_NE(files[0].second.find("\"classes\": [\"a\", \"b\"]"), std::string::npos) << files[0].second;
  EXPECT_NE(files[0].second.find("\"counts\": [4, 4]"), std::string::npos) << files[0].second;
  EXPECT_EQ(files[1].first, "skipped_files.txt");
  EXPECT_EQ(files[1].second, "b/broken.png\tempty file\n");
}

TEST_F(ImagesTaskTest, WithoutAFolderOrWithATooLargeBatchItSaysWhichKey) {
  Config config = images(1);
  config.data.dir = "";
  EXPECT_THROW_MSG(TrainingRun(config, torch::kCPU, nullptr, false), ConfigError, "--data-dir");
  config = images(1);
  config.train.batch_size = 16;
  EXPECT_THROW_MSG(TrainingRun(config, torch::kCPU, nullptr, false), ConfigError,
                   "train.batch_size = 16: larger than the 8 images");
}

// Three steps, a checkpoint, three more: bit for bit six straight steps (mirror flips included).
TEST_F(ImagesTaskTest, ResumesBitForBit) {
  auto params = [](TrainingRun& run) {
    std::vector<torch::Tensor> out;
    for (const auto& p : run.trainer().generator()->parameters()) out.push_back(p.detach().clone());
    for (const auto& p : run.trainer().discriminator()->parameters()) out.push_back(p.detach().clone());
    out.push_back(generator_state(default_generator(torch::kCPU)));
    return out;
  };
  std::string checkpoint;
  {
    TrainingRun first(images(3), torch::kCPU, nullptr, false);
    first.fit({});
    std::ostringstream buffer;
    torch::serialize::OutputArchive out;
    first.checkpoint(out);
    out.save_to(buffer);
    checkpoint = buffer.str();
  }
  TrainingRun resumed(images(6), torch::kCPU, nullptr, false);
  std::istringstream buffer(checkpoint);
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  resumed.resume(in, "memory");
  resumed.fit({});
  TrainingRun straight(images(6), torch::kCPU, nullptr, false);
  straight.fit({});
  const auto a = params(resumed), b = params(straight);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << "tensor " << i;
}

}  // namespace
}  // namespace gantrain
