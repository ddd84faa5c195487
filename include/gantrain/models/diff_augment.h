#pragma once
/// Differentiable augmentation of D's inputs (Zhao et al. 2020, "Differentiable Augmentation for
/// Data-Efficient GAN Training"), policy colour, translation, cutout: the same random transform
/// kind for real and generated images, built from ops autograd differentiates, so G learns
/// through it. Every op takes images [N, C, S, S] and returns that shape.
#include <torch/torch.h>

#include <cstdint>

#include "gantrain/data/batch_source.h"

namespace gantrain {

/// Per-image colour change: x + brightness, then saturation (scaling each pixel's distance from
/// its mean over the channels; skipped for 1 channel), then contrast (scaling the distance from
/// the image's mean). Each factor is [N] float on the images' device.
torch::Tensor adjust_colour(const torch::Tensor& images, const torch::Tensor& brightness,
                            const torch::Tensor& saturation, const torch::Tensor& contrast);

/// Moves image i by shift[i] = (rows, columns) pixels ([N, 2] int64, |shift| <= `max_shift`; a
/// positive shift moves the content down / right); uncovered pixels are 0.
torch::Tensor translate(const torch::Tensor& images, const torch::Tensor& shift, int64_t max_shift);

/// Zeroes in image i the `size` x `size` square whose top-left pixel is corner[i] = (row,
/// column) ([N, 2] int64).
torch::Tensor cut_out(const torch::Tensor& images, const torch::Tensor& corner, int64_t size);

/// Largest translation for images of `side`: 1/8 of it, rounded.
int64_t diff_augment_max_shift(int64_t side);
/// Side of the cutout square for images of `side`: half of it, rounded.
int64_t diff_augment_cutout_size(int64_t side);

/// Colour, translation and cutout with parameters drawn per image from the global RNG of the
/// images' device (brightness U(-0.5, 0.5), saturation U(0, 2), contrast U(0.5, 1.5), shifts
/// uniform in [-side/8, side/8], the cutout square anywhere inside the image).
/// images [N, channels * side * side] -> the same shape. In data-parallel training (`shard`)
/// the parameters are drawn for every rank's rows and this rank's are used, like the noise.
torch::Tensor diff_augment(const torch::Tensor& images, int64_t channels, int64_t side,
                           Shard shard = {});

}  // namespace gantrain
