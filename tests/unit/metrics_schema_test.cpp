// The metrics schema: the TensorBoard tag of each column.
#include "gantrain/metrics/metrics_schema.h"

#include <gtest/gtest.h>

namespace gantrain {
namespace {

TEST(TensorBoardTagTest, GroupsKnownColumns) {
  const MetricsSchema schema(LossKind::kBce, {"even"}, {"fid"});
  EXPECT_EQ(schema.tensorboard_tag("d_loss"), "loss/d");
  EXPECT_EQ(schema.tensorboard_tag("g_loss"), "loss/g");
  EXPECT_EQ(schema.tensorboard_tag("d_real"), "D/real");
  EXPECT_EQ(schema.tensorboard_tag("d_fake"), "D/fake");
  EXPECT_EQ(schema.tensorboard_tag("steps_per_s"), "speed/steps_per_s");
  EXPECT_EQ(schema.tensorboard_tag("images_per_s"), "speed/images_per_s");
  EXPECT_EQ(schema.tensorboard_tag("elapsed_s"), "time/elapsed_s");
  EXPECT_EQ(schema.tensorboard_tag("epoch"), "progress/epoch");
  EXPECT_EQ(schema.tensorboard_tag("fid"), "eval/fid");
  EXPECT_EQ(schema.tensorboard_tag("even"), "metrics/even");
  EXPECT_EQ(schema.tensorboard_tag("step"), "");
}

}  // namespace
}  // namespace gantrain
