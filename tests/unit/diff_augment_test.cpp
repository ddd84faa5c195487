// DiffAugment (Zhao et al. 2020): each op's effect on known images, the random draws' ranges,
// gradients to the input, and reproducibility from the seed.
#include "gantrain/models/diff_augment.h"
#include "support.h"

namespace gantrain {
namespace {

using DiffAugmentTest = testing_support::SeedingFixture;

torch::Tensor longs(std::vector<int64_t> values, int64_t rows) {
  return torch::tensor(values, torch::kLong).view({rows, -1});
}

TEST_F(DiffAugmentTest, KeepsTheShapeForOneAndThreeChannels) {
  for (int64_t channels : {1, 3}) {
    torch::Tensor images = torch::rand({5, channels * 16 * 16}) * 2 - 1;
    torch::Tensor out = diff_augment(images, channels, 16);
    EXPECT_EQ(out.sizes(), images.sizes()) << channels;
    EXPECT_EQ(out.scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
    EXPECT_FALSE(out.equal(images));
  }
  EXPECT_THROW(diff_augment(torch::rand({2, 3 * 16 * 16}), 3, 15), c10::Error);
  EXPECT_THROW(diff_augment(torch::rand({2, 3, 16, 16}), 3, 16), c10::Error);
}

TEST_F(DiffAugmentTest, SizesFollowTheSide) {
  EXPECT_EQ(diff_augment_max_shift(32), 4);  // 1/8
  EXPECT_EQ(diff_augment_max_shift(28), 4);  // 3.5, rounded
  EXPECT_EQ(diff_augment_max_shift(8), 1);
  EXPECT_EQ(diff_augment_cutout_size(32), 16);  // half
  EXPECT_EQ(diff_augment_cutout_size(28), 14);
  EXPECT_EQ(diff_augment_cutout_size(9), 5);
}

// G learns through the augmentation: gradients reach the input, first and second order (R1
// differentiates D's gradient again).
TEST_F(DiffAugmentTest, GradientFlowsToTheInput) {
  for (int64_t channels : {1, 3}) {
    torch::Tensor images = (torch::rand({4, channels * 8 * 8}) * 2 - 1).requires_grad_(true);
    torch::Tensor out = diff_augment(images, channels, 8);
    torch::Tensor gradient =
        torch::autograd::grad({out.square().sum()}, {images}, {}, true, /*create_graph=*/true)[0];
    EXPECT_TRUE(torch::isfinite(gradient).all().item<bool>());
    EXPECT_GT(gradient.abs().sum().item<double>(), 0.0);
    gradient.square().sum().backward();
    EXPECT_TRUE(images.grad().defined());
    EXPECT_GT(images.grad().abs().sum().item<double>(), 0.0);
  }
}

TEST_F(DiffAugmentTest, TheSeedFixesTheDraws) {
  torch::Tensor images = torch::rand({6, 3 * 16 * 16});
  torch::manual_seed(11);
  torch::Tensor a = diff_augment(images, 3, 16);
  torch::manual_seed(11);
  torch::Tensor b = diff_augment(images, 3, 16);
  torch::manual_seed(12);
  torch::Tensor c = diff_augment(images, 3, 16);
  EXPECT_TRUE(a.equal(b));
  EXPECT_FALSE(a.equal(c));
  // Drawn per image: two copies of one image in a batch come out different.
  torch::Tensor twice = diff_augment(images[0].unsqueeze(0).repeat({2, 1}), 3, 16);
  EXPECT_FALSE(twice[0].equal(twice[1]));
}

TEST_F(DiffAugmentTest, TranslateMovesWholePixelsAndPadsWithZeros) {
  const int64_t s = 8;
  // Distinct non-zero pixels, so a zero can only be padding; two channels, two images.
  torch::Tensor images = torch::arange(1, 2 * 2 * s * s + 1, torch::kFloat).view({2, 2, s, s});
  torch::Tensor shift = longs({2, -1, -3, 0}, 2);  // image 0: 2 down, 1 left; image 1: 3 up
  torch::Tensor out = translate(images, shift, 3);
  ASSERT_EQ(out.sizes(), images.sizes());
  auto in = images.accessor<float, 4>(), got = out.accessor<float, 4>();
  const int64_t dy[] = {2, -3}, dx[] = {-1, 0};
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t y = 0; y < s; ++y)
        for (int64_t x = 0; x < s; ++x) {
          const int64_t sy = y - dy[n], sx = x - dx[n];
          const bool inside = sy >= 0 && sy < s && sx >= 0 && sx < s;
          EXPECT_EQ(got[n][c][y][x], inside ? in[n][c][sy][sx] : 0.0f)
              << n << " " << c << " " << y << " " << x;
        }
  // A zero shift is the identity.
  EXPECT_TRUE(translate(images, torch::zeros({2, 2}, torch::kLong), 3).equal(images));
}

TEST_F(DiffAugmentTest, CutoutZeroesExactlyTheSquare) {
  const int64_t s = 8, size = 4;
  torch::Tensor images = torch::rand({2, 3, s, s}) + 1;  // no zeros of its own
  torch::Tensor corner = longs({1, 2, 4, 4}, 2);
  torch::Tensor out = cut_out(images, corner, size);
  torch::Tensor expected = images.clone();
  expected.index_put_({0, torch::indexing::Slice(), torch::indexing::Slice(1, 5),
                       torch::indexing::Slice(2, 6)}, 0);
  expected.index_put_({1, torch::indexing::Slice(), torch::indexing::Slice(4, 8),
                       torch::indexing::Slice(4, 8)}, 0);
  EXPECT_TRUE(out.equal(expected));
  EXPECT_EQ((out == 0).sum().item<int64_t>(), 2 * 3 * size * size);
}

TEST_F(DiffAugmentTest, NeutralColourFactorsChangeNothing) {
  torch::Tensor images = torch::rand({3, 3, 6, 6}) * 2 - 1;
  torch::Tensor out =
      adjust_colour(images, torch::zeros({3}), torch::ones({3}), torch::ones({3}));
  EXPECT_TRUE(torch::allclose(out, images, 1e-6, 1e-6));
}

TEST_F(DiffAugmentTest, BrightnessShiftsTheMeanAndContrastKeepsIt) {
  torch::Tensor images = torch::rand({3, 3, 6, 6}) * 2 - 1;
  torch::Tensor mean = images.mean({1, 2, 3});
  torch::Tensor spread = images.std({1, 2, 3});
  torch::Tensor brightness = torch::tensor({-0.4f, 0.0f, 0.3f});
  torch::Tensor contrast = torch::tensor({0.5f, 1.0f, 1.5f});
  torch::Tensor brighter = adjust_colour(images, brightness, torch::ones({3}), torch::ones({3}));
  EXPECT_TRUE(torch::allclose(brighter.mean({1, 2, 3}), mean + brightness, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(brighter - images, brightness.view({3, 1, 1, 1}).expand_as(images),
                              1e-5, 1e-6));
  torch::Tensor contrasted = adjust_colour(images, torch::zeros({3}), torch::ones({3}), contrast);
  EXPECT_TRUE(torch::allclose(contrasted.mean({1, 2, 3}), mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(contrasted.std({1, 2, 3}), spread * contrast, 1e-5, 1e-6));
}

TEST_F(DiffAugmentTest, SaturationScalesAroundEachPixelsGrey) {
  torch::Tensor images = torch::rand({2, 3, 5, 5});
  torch::Tensor grey = images.mean(1, true);
  torch::Tensor out =
      adjust_colour(images, torch::zeros({2}), torch::tensor({0.0f, 2.0f}), torch::ones({2}));
  // 0: every channel becomes the pixel's grey; 2: twice as far from it. Grey stays.
  EXPECT_TRUE(torch::allclose(out[0], grey[0].expand({3, 5, 5}), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out[1] - grey[1], 2 * (images[1] - grey[1]), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.mean(1, true), grey, 1e-5, 1e-6));
  // One channel has no colour to scale: saturation does nothing.
  torch::Tensor gray = torch::rand({2, 1, 5, 5});
  EXPECT_TRUE(adjust_colour(gray, torch::zeros({2}), torch::zeros({2}), torch::ones({2})).equal(gray));
}

// The whole policy on flat images of one value v: colour turns v into v + b (saturation and
// contrast act on differences, and there are none), translation leaves zero strips of its
// shift's width along two edges, cutout a zero square of half the side.
TEST_F(DiffAugmentTest, DrawsStayInTheirRanges) {
  const int64_t n = 400, s = 16, max_shift = 2, size = 8;
  const float v = 5;
  torch::Tensor out = diff_augment(torch::full({n, s * s}, v), 1, s).view({n, s, s});
  torch::Tensor zero = out == 0;
  torch::Tensor lit = out.masked_select(out != 0);
  EXPECT_GT(lit.min().item<float>(), v - 0.5f);  // brightness U(-0.5, 0.5)
  EXPECT_LT(lit.max().item<float>(), v + 0.5f);
  EXPECT_LT(lit.min().item<float>(), v - 0.45f);
  EXPECT_GT(lit.max().item<float>(), v + 0.45f);
  // Each image: one value besides the zeros.
  torch::Tensor per_image_max = out.amax({1, 2}), per_image_min = out.where(out != 0, out.amax({1, 2}, true)).amin({1, 2});
  EXPECT_TRUE(torch::allclose(per_image_max, per_image_min));

  // Rows (columns) that are zero from edge to edge are the translation's strip; cutout covers
  // only half a row. Strips lie at the top or the bottom, by the shift's sign.
  torch::Tensor zero_rows = zero.all(2), zero_cols = zero.all(1);  // [n, s]
  torch::Tensor strip_rows = zero_rows.sum(1), strip_cols = zero_cols.sum(1);
  EXPECT_EQ(strip_rows.max().item<int64_t>(), max_shift);
  EXPECT_EQ(strip_cols.max().item<int64_t>(), max_shift);
  EXPECT_EQ(strip_rows.min().item<int64_t>(), 0);
  EXPECT_TRUE(zero_rows.select(1, 0).any().item<bool>());      // moved down
  EXPECT_TRUE(zero_rows.select(1, s - 1).any().item<bool>());  // moved up
  EXPECT_FALSE(zero_rows.select(1, max_shift).any().item<bool>());  // never further

  // Zeros beyond the strips: the cutout square, at least size * size of them (fewer only where
  // the square overlaps a strip).
  torch::Tensor strips = strip_rows * s + strip_cols * s - strip_rows * strip_cols;
  torch::Tensor cut = zero.sum({1, 2}) - strips;
  EXPECT_LE(cut.max().item<int64_t>(), size * size);
  EXPECT_EQ(cut.max().item<int64_t>(), size * size);
  torch::Tensor clean = (strip_rows == 0).logical_and(strip_cols == 0);
  ASSERT_TRUE(clean.any().item<bool>());
  EXPECT_TRUE((cut.masked_select(clean) == size * size).all().item<bool>());
}

TEST_F(DiffAugmentTest, FollowsTheImagesDevice_CUDA) {
  torch::Tensor images = torch::rand({4, 3 * 8 * 8}, torch::kCUDA);
  torch::Tensor out = diff_augment(images, 3, 8);
  EXPECT_TRUE(out.is_cuda());
  EXPECT_EQ(out.sizes(), images.sizes());
}

}  // namespace
}  // namespace gantrain
