#include "gantrain/metrics/metrics_schema.h"

#include <algorithm>
#include <map>

namespace gantrain {

std::pair<std::string, std::string> score_columns(LossKind loss) {
  if (loss == LossKind::kBce) return {column::kDReal, column::kDFake};
  return {column::kDRealScore, column::kDFakeScore};
}

bool is_training_column(const std::string& name) {
  using namespace column;
  for (const std::string* c : {&kStep, &kEpoch, &kDLoss, &kGLoss, &kDReal, &kDFake, &kDRealScore,
                               &kDFakeScore, &kStepsPerS, &kImagesPerS, &kElapsedS})
    if (name == *c) return true;
  return false;
}

MetricsSchema::MetricsSchema(LossKind loss, const std::vector<std::string>& task_metrics,
                             const std::vector<std::string>& eval_metrics)
    : scores_(score_columns(loss)) {
  auto add = [&](const std::string& name, ColumnGroup group) {
    if (std::find(names_.begin(), names_.end(), name) != names_.end()) return;
    names_.push_back(name);
    groups_.push_back(group);
  };
  add(column::kStep, ColumnGroup::kStep);
  for (const std::string& name : {column::kEpoch, column::kDLoss, column::kGLoss, scores_.first,
                                  scores_.second})
    add(name, ColumnGroup::kTraining);
  for (const auto& name : task_metrics) add(name, ColumnGroup::kTask);
  for (const auto& name : eval_metrics) add(name, ColumnGroup::kEval);
  for (const std::string& name : {column::kStepsPerS, column::kImagesPerS, column::kElapsedS})
    add(name, ColumnGroup::kSpeed);
}

ColumnGroup MetricsSchema::group(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  return it == names_.end() ? ColumnGroup::kTask : groups_[it - names_.begin()];
}

std::string MetricsSchema::tensorboard_tag(const std::string& name) const {
  // Grouped so TensorBoard shows the two losses together, D's outputs together, and so on.
  static const std::map<std::string, std::string> kTags = {
      {column::kDLoss, "loss/d"},           {column::kGLoss, "loss/g"},
      {column::kDReal, "D/real"},           {column::kDFake, "D/fake"},
      {column::kDRealScore, "D/real_score"}, {column::kDFakeScore, "D/fake_score"},
      {column::kStepsPerS, "speed/steps_per_s"}, {column::kImagesPerS, "speed/images_per_s"},
      {column::kElapsedS, "time/elapsed_s"}, {column::kEpoch, "progress/epoch"}};
  if (name == column::kStep) return "";
  const auto it = kTags.find(name);
  if (it != kTags.end()) return it->second;
  return (group(name) == ColumnGroup::kEval ? "eval/" : "metrics/") + name;
}

}  // namespace gantrain
