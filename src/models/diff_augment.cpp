#include "gantrain/models/diff_augment.h"

namespace gantrain {

torch::Tensor adjust_colour(const torch::Tensor& images, const torch::Tensor& brightness,
                            const torch::Tensor& saturation, const torch::Tensor& contrast) {
  TORCH_CHECK(images.dim() == 4, "adjust_colour: expected [N, C, S, S] images, got ", images.sizes());
  const int64_t n = images.size(0);
  torch::Tensor x = images + brightness.view({n, 1, 1, 1});
  if (images.size(1) > 1) {
    torch::Tensor grey = x.mean(1, /*keepdim=*/true);
    x = (x - grey) * saturation.view({n, 1, 1, 1}) + grey;
  }
  torch::Tensor mean = x.mean({1, 2, 3}, /*keepdim=*/true);
  return (x - mean) * contrast.view({n, 1, 1, 1}) + mean;
}

torch::Tensor translate(const torch::Tensor& images, const torch::Tensor& shift, int64_t max_shift) {
  TORCH_CHECK(images.dim() == 4 && images.size(2) == images.size(3),
              "translate: expected [N, C, S, S] images, got ", images.sizes());
  TORCH_CHECK(shift.sizes() == torch::IntArrayRef({images.size(0), 2}),
              "translate: expected [N, 2] shifts, got ", shift.sizes());
  const int64_t n = images.size(0), c = images.size(1), s = images.size(2), p = max_shift;
  // Index arithmetic instead of a resampling grid: pixels move whole, so nothing is blurred, and
  // the zero border of the padded copy is what an out-of-image source reads.
  torch::Tensor padded = torch::constant_pad_nd(images, {p, p, p, p}, 0);
  torch::Tensor steps = torch::arange(p, s + p, shift.options()).view({1, s});
  torch::Tensor rows = steps - shift.select(1, 0).view({n, 1});  // [N, S] source rows
  torch::Tensor cols = steps - shift.select(1, 1).view({n, 1});
  torch::Tensor picked = padded.gather(2, rows.view({n, 1, s, 1}).expand({n, c, s, s + 2 * p}));
  return picked.gather(3, cols.view({n, 1, 1, s}).expand({n, c, s, s}));
}

torch::Tensor cut_out(const torch::Tensor& images, const torch::Tensor& corner, int64_t size) {
  TORCH_CHECK(images.dim() == 4 && images.size(2) == images.size(3),
              "cut_out: expected [N, C, S, S] images, got ", images.sizes());
  TORCH_CHECK(corner.sizes() == torch::IntArrayRef({images.size(0), 2}),
              "cut_out: expected [N, 2] corners, got ", corner.sizes());
  const int64_t n = images.size(0), s = images.size(2);
  torch::Tensor at = torch::arange(s, corner.options()).view({1, s});
  torch::Tensor top = corner.select(1, 0).view({n, 1}), left = corner.select(1, 1).view({n, 1});
  torch::Tensor in_rows = (at >= top).logical_and(at < top + size);   // [N, S]
  torch::Tensor in_cols = (at >= left).logical_and(at < left + size);
  torch::Tensor keep =
      in_rows.view({n, 1, s, 1}).logical_and(in_cols.view({n, 1, 1, s})).logical_not();
  return images * keep.to(images.scalar_type());
}

int64_t diff_augment_max_shift(int64_t side) { return (side + 4) / 8; }
int64_t diff_augment_cutout_size(int64_t side) { return (side + 1) / 2; }

torch::Tensor diff_augment(const torch::Tensor& images, int64_t channels, int64_t side,
                           Shard shard) {
  TORCH_CHECK(channels > 0 && side > 0 && images.dim() == 2 &&
                  images.size(1) == channels * side * side,
              "diff_augment: expected [N, ", channels, " * ", side, " * ", side, "] images, got ",
              images.sizes());
  const int64_t n = images.size(0);
  // Drawn on the images' device, from its default generator: a checkpoint's RNG state then
  // fixes every later draw, and nothing waits on a host-to-device copy.
  const auto real = torch::TensorOptions().device(images.device());
  const auto whole = real.dtype(torch::kLong);
  // Every rank shares one stream: draws for all ranks' rows, this rank keeps its own, so that
  // ranks do not repeat each other's augmentations.
  const int64_t rows = n * shard.world_size;
  auto mine = [&](torch::Tensor t) { return t.narrow(0, shard.rank * n, n); };
  torch::Tensor brightness = mine(torch::rand({rows}, real) - 0.5);
  torch::Tensor saturation = mine(torch::rand({rows}, real) * 2);  // drawn for 1 channel too
  torch::Tensor contrast = mine(torch::rand({rows}, real) + 0.5);
  const int64_t max_shift = diff_augment_max_shift(side), size = diff_augment_cutout_size(side);
  torch::Tensor shift = mine(torch::randint(-max_shift, max_shift + 1, {rows, 2}, whole));
  // Inside the image, so every cutout hides exactly size x size pixels (the paper's
  // implementation lets the square run off the edge).
  torch::Tensor corner = mine(torch::randint(0, side - size + 1, {rows, 2}, whole));

  torch::Tensor x = images.reshape({n, channels, side, side});
  x = adjust_colour(x, brightness, saturation, contrast);
  x = translate(x, shift, max_shift);
  x = cut_out(x, corner, size);
  return x.reshape({n, channels * side * side});
}

}  // namespace gantrain
