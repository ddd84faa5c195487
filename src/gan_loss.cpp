#include "gantrain/gan_loss.h"

namespace gantrain {
namespace {

// BCE with logits against a target t is softplus(x) - t x: no label tensors, stable for any x.
class BceLoss : public GanLoss {
 public:
  explicit BceLoss(double real_label) : real_label_(real_label) {}
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const override {
    // The mean of the two halves' BCE: the seed's single BCE over [real; fake].
    torch::Tensor on_real = real_label_ == 1.0 ? torch::softplus(-real)
                                               : torch::softplus(real) - real_label_ * real;
    return (on_real.mean() + torch::softplus(fake).mean()) * 0.5;
  }
  // With hard labels both halves are softplus(s x), s = -1 on real rows and +1 on fakes, and the
  // mean over the joined halves is the mean of their means: three ops instead of nine, and no
  // slices in backward (the even-bits toy is bound by per-op cost).
  torch::Tensor joined_discriminator_loss(const torch::Tensor& logits) const override {
    if (real_label_ != 1.0) return GanLoss::joined_discriminator_loss(logits);
    if (!signs_.defined() || signs_.sizes() != logits.sizes() ||
        signs_.device() != logits.device()) {
      const int64_t n = logits.size(0) / 2;
      signs_ = torch::cat({-torch::ones({n, 1}), torch::ones({n, 1})}).to(logits.device());
    }
    return torch::softplus(logits * signs_).mean();
  }
  torch::Tensor generator_loss(const torch::Tensor& fake) const override {
    return torch::softplus(-fake).mean();  // -log D(G(z)), Goodfellow et al. 2014, section 3
  }
  torch::Tensor shown_scores(const torch::Tensor& logits) const override {
    return torch::sigmoid(logits);
  }

 private:
  double real_label_;
  mutable torch::Tensor signs_;  // [2N, 1]: -1 for the real rows, +1 for the fakes
};

class HingeLoss : public GanLoss {
 public:
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const override {
    return torch::relu(1 - real).mean() + torch::relu(1 + fake).mean();
  }
  torch::Tensor generator_loss(const torch::Tensor& fake) const override { return -fake.mean(); }
};

// Least squares with targets a = 0 (fake) and b = real_label (real) for D, and c = b for G
// (Mao et al. 2017 use c = b).
class LeastSquaresLoss : public GanLoss {
 public:
  explicit LeastSquaresLoss(double real_label) : real_label_(real_label) {}
  torch::Tensor discriminator_loss(const torch::Tensor& real, const torch::Tensor& fake) const override {
    return ((real - real_label_).square().mean() + fake.square().mean()) * 0.5;
  }
  torch::Tensor generator_loss(const torch::Tensor& fake) const override {
    return (fake - real_label_).square().mean() * 0.5;
  }

 private:
  double real_label_;
};

}  // namespace

torch::Tensor GanLoss::joined_discriminator_loss(const torch::Tensor& logits) const {
  const int64_t n = logits.size(0) / 2;
  return discriminator_loss(logits.narrow(0, 0, n), logits.narrow(0, n, n));
}

std::unique_ptr<GanLoss> make_gan_loss(LossKind kind, double real_label) {
  switch (kind) {
    case LossKind::kHinge: return std::make_unique<HingeLoss>();
    case LossKind::kLsgan: return std::make_unique<LeastSquaresLoss>(real_label);
    case LossKind::kBce: break;
  }
  return std::make_unique<BceLoss>(real_label);
}

}  // namespace gantrain
