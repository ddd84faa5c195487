// Data sources: TensorBatches' epochs and the data-parallel shards of a batch.
#include "gantrain/data/batch_source.h"

#include <algorithm>
#include <vector>

#include "support.h"

namespace gantrain {
namespace {

using BatchSourceTest = testing_support::SeedingFixture;

TEST_F(BatchSourceTest, TensorBatchesCoverEachEpochOnce) {
  torch::Tensor data = torch::arange(10, torch::kByte).unsqueeze(1);
  TensorBatches batches(data, 3);
  EXPECT_EQ(batches.batches_per_epoch(), 3);
  std::vector<float> seen;
  for (int i = 0; i < 3; ++i) {
    torch::Tensor b = batches.next_batch().samples;
    EXPECT_EQ(batches.epoch(), 1);
    for (int64_t j = 0; j < 3; ++j) seen.push_back(b[j][0].item<float>());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()), seen.end());  // no image twice in an epoch
  EXPECT_FLOAT_EQ(torch::tensor(seen).min().item<float>() >= -1.0f, 1.0f);
  batches.next_batch();
  EXPECT_EQ(batches.epoch(), 2);
}

// Data-parallel shards: with the same seed, the ranks' batches are disjoint rows of the batch one
// process draws, in rank order, epoch after epoch (the shuffle is shared, not per rank).
TEST_F(BatchSourceTest, ShardsSplitTheGlobalBatchOfOneSharedShuffle) {
  torch::Tensor data = torch::arange(12, torch::kByte).unsqueeze(1);
  auto draw = [&](Shard shard) {
    torch::manual_seed(5);
    TensorBatches batches(data, 4, shard);
    std::vector<torch::Tensor> out;
    for (int i = 0; i < 5; ++i) out.push_back(batches.next_batch().samples);  // into the second epoch
    return out;
  };
  const auto whole = draw({});
  const auto rank0 = draw({0, 2}), rank1 = draw({1, 2});
  for (size_t i = 0; i < whole.size(); ++i) {
    ASSERT_EQ(rank0[i].size(0), 2);
    EXPECT_TRUE(torch::equal(torch::cat({rank0[i], rank1[i]}), whole[i])) << "batch " << i;
  }
  EXPECT_THROW(TensorBatches(data, 5, {0, 2}), c10::Error);  // 5 rows do not split in two
}

// data.mirror: each image comes back as it is or flipped left-right (every line reversed, the
// lines and channels in place), about half of each.
TEST_F(BatchSourceTest, MirrorFlipsAboutHalfOfTheImagesLeftRight) {
  // One image of 2 lines of 3 pixels, 40 times: values 0..5 in raster order.
  torch::Tensor data = torch::arange(6, torch::kByte).repeat({40, 1});
  const torch::Tensor plain = torch::arange(6, torch::kFloat).div(127.5).sub(1.0);
  const torch::Tensor flipped = plain.view({2, 3}).flip({1}).reshape({6});
  TensorBatches batches(data, 40, {}, 3);
  torch::Tensor batch = batches.next_batch().samples;
  int64_t flips = 0;
  for (int64_t i = 0; i < 40; ++i) {
    const bool is_flipped = torch::allclose(batch[i], flipped);
    EXPECT_TRUE(is_flipped || torch::allclose(batch[i], plain)) << batch[i];
    flips += is_flipped;
  }
  EXPECT_GT(flips, 8);
  EXPECT_LT(flips, 32);
  EXPECT_THROW(TensorBatches(data, 4, {}, 4), c10::Error);  // 6 pixels are no lines of 4
}

// Mirrored shards: the ranks' flips are those one process draws for their rows, not one rank's
// flips repeated on every rank.
TEST_F(BatchSourceTest, MirroredShardsFlipAsOneProcessDoes) {
  torch::Tensor data = torch::arange(64 * 6, torch::kInt).remainder(251).to(torch::kByte).view({64, 6});
  auto draw = [&](Shard shard) {
    torch::manual_seed(3);
    TensorBatches batches(data, 32, shard, 3);
    return batches.next_batch().samples;
  };
  const torch::Tensor whole = draw({});
  EXPECT_TRUE(torch::equal(torch::cat({draw({0, 2}), draw({1, 2})}), whole));
}

}  // namespace
}  // namespace gantrain
