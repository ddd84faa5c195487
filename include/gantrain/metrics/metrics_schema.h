#pragma once
/// metrics.csv's columns, defined once (DESIGN.md section 12): their names, their order in a
/// run's file and their TensorBoard tags. The training run fills rows by these names; the
/// console line, TensorBoard and the report read them from here.
#include <string>
#include <utility>
#include <vector>

#include "gantrain/choices.h"

namespace gantrain {

/// The columns every run writes, whatever its task.
namespace column {
inline const std::string kStep = "step";
inline const std::string kEpoch = "epoch";
inline const std::string kDLoss = "d_loss";
inline const std::string kGLoss = "g_loss";
inline const std::string kDReal = "d_real";              ///< mean D(x), a probability (bce)
inline const std::string kDFake = "d_fake";              ///< mean D(G(z)) (bce)
inline const std::string kDRealScore = "d_real_score";   ///< mean raw score on real (hinge, lsgan)
inline const std::string kDFakeScore = "d_fake_score";   ///< mean raw score on generated
inline const std::string kStepsPerS = "steps_per_s";     ///< training speed over the interval
inline const std::string kImagesPerS = "images_per_s";   ///< real images D saw per second
inline const std::string kElapsedS = "elapsed_s";        ///< seconds since the session started
}  // namespace column

/// What a column holds: it decides the column's place in the file and its TensorBoard group.
enum class ColumnGroup { kStep, kTraining, kTask, kEval, kSpeed };

/// The D-output columns of `loss`: d_real and d_fake (probabilities) for bce, d_real_score and
/// d_fake_score (raw scores) for the others, so that nobody reads a hinge score as a probability.
std::pair<std::string, std::string> score_columns(LossKind loss);

/// True for the columns every run writes (step, epoch, losses, D's outputs, speed, time): the
/// rest are task and evaluation metrics.
bool is_training_column(const std::string& name);

/// The columns of one run's metrics.csv, in file order: step, epoch, the losses and D's outputs,
/// the task's metrics, the evaluator's (those not already among the task's), speed and time.
class MetricsSchema {
 public:
  MetricsSchema(LossKind loss, const std::vector<std::string>& task_metrics,
                const std::vector<std::string>& eval_metrics);
  /// The column names in file order ("step" first).
  const std::vector<std::string>& names() const { return names_; }
  /// The group of `name`; kTask for a name this schema does not hold.
  ColumnGroup group(const std::string& name) const;
  /// D's output columns under this run's loss (score_columns).
  const std::string& real_score() const { return scores_.first; }
  const std::string& fake_score() const { return scores_.second; }
  /// The scalar tag: d_loss -> loss/d, d_real -> D/real, images_per_s -> speed/images_per_s,
  /// an eval column -> eval/<name>, a task metric -> metrics/<name>; empty for "step", which is
  /// the event's step rather than a value.
  std::string tensorboard_tag(const std::string& name) const;

 private:
  std::vector<std::string> names_;
  std::vector<ColumnGroup> groups_;
  std::pair<std::string, std::string> scores_;
};

}  // namespace gantrain
