#pragma once
/// The adversarial objectives the trainer can use (DESIGN.md section 11): one class per loss,
/// one factory choosing by train.loss.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "gantrain/choices.h"

namespace gantrain {

class GanLoss {
 public:
  virtual ~GanLoss() = default;
  /// D's loss from its logits [N, 1] on real and on generated samples (a 0-dim mean).
  virtual torch::Tensor discriminator_loss(const torch::Tensor& real_logits,
                                           const torch::Tensor& fake_logits) const = 0;
  /// The same loss from one tensor of logits [2N, 1], N real rows then N generated ones.
  virtual torch::Tensor joined_discriminator_loss(const torch::Tensor& logits) const;
  /// G's loss from D's logits on generated samples.
  virtual torch::Tensor generator_loss(const torch::Tensor& fake_logits) const = 0;
  /// D's outputs as the progress line shows them: probabilities for BCE, raw scores otherwise.
  virtual torch::Tensor shown_scores(const torch::Tensor& logits) const { return logits; }
};

/// bce (Goodfellow et al. 2014, the non-saturating G loss), hinge (Lim & Ye 2017; Miyato et al.
/// 2018) or lsgan (Mao et al. 2017). `real_label` is D's target for real samples in bce and
/// lsgan: below 1 it is one-sided label smoothing (Salimans et al. 2016).
std::unique_ptr<GanLoss> make_gan_loss(LossKind kind, double real_label = 1.0);

}  // namespace gantrain
