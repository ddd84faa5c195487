// The TensorBoard sink: rows under their tags, one file per session, trimming on resume.
#include "gantrain/io/tensorboard_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "event_file_support.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

using testing_support::make_png;
using testing_support::read_text;
using testing_support::steps_of;
using testing_support::TensorBoardTest;
using testing_support::write_bytes;

TEST_F(TensorBoardTest, SinkWritesEachColumnUnderItsTag) {
  TensorBoardSink sink(dir_.string(), MetricsSchema(LossKind::kBce, {"even"}, {"fid"}));
  sink.open({"step", "d_loss", "g_loss", "fid", "even"}, 0);
  MetricsRow row;
  row.step = 100;
  row.values = {{"step", 100}, {"d_loss", 0.75}, {"g_loss", 1.5}, {"fid", 12.5}, {"even", 0.25}};
  sink.write(row);
  sink.write_image(100, "samples", make_png(4, 4, 1));
  sink.write_text(0, "config", "task: even-bits");
  sink.flush();

  const auto files = event_files();
  ASSERT_EQ(files.size(), 1u);
  const std::string name = fs::path(files[0]).filename().string();
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  EXPECT_NE(name.find("." + std::to_string(::getpid()) + ".0"), std::string::npos) << name;

  std::map<std::string, float> scalars;
  std::vector<std::string> others;
  for (const Event& e : read_event_file(files[0]))
    for (const EventValue& v : e.values) {
      if (v.scalar) {
        EXPECT_EQ(e.step, 100);
        scalars[v.tag] = *v.scalar;
      } else {
        others.push_back(v.tag);
      }
    }
  EXPECT_EQ(scalars, (std::map<std::string, float>{
                         {"loss/d", 0.75f}, {"loss/g", 1.5f}, {"eval/fid", 12.5f}, {"metrics/even", 0.25f}}));
  EXPECT_EQ(others, (std::vector<std::string>{"samples", "config"}));
}

TEST_F(TensorBoardTest, ResumeTrimsOldFilesAndStartsASession) {
  const std::vector<std::string> columns = {"step", "d_loss"};
  {
    TensorBoardSink first(dir_.string(), MetricsSchema(LossKind::kBce, {}, {}));
    first.open(columns, 0);
    for (int64_t step = 10; step <= 50; step += 10) {
      MetricsRow row;
      row.step = step;
      row.values = {{"step", static_cast<double>(step)}, {"d_loss", 1.0}};
      first.write(row);
      first.flush();
    }
  }
  const auto before = event_files();
  ASSERT_EQ(before.size(), 1u);
  const double old_wall_time = read_event_file(before[0]).at(0).wall_time;

  trim_event_files(dir_.string(), 30);
  TensorBoardSink second(dir_.string(), MetricsSchema(LossKind::kBce, {}, {}));
  second.open(columns, 30);
  second.flush();
  const auto files = event_files();
  ASSERT_EQ(files.size(), 2u) << "a temporary was left behind?";
  ASSERT_EQ(files[0], before[0]);  // the new file's name sorts after the old one's

  const auto old_events = read_event_file(files[0]);
  EXPECT_EQ(steps_of(old_events), (std::vector<int64_t>{0, 10, 20, 30}));
  EXPECT_EQ(old_events[0].file_version, "brain.Event:2");
  EXPECT_EQ(old_events[0].wall_time, old_wall_time);  // kept, not rewritten

  const auto new_events = read_event_file(files[1]);
  ASSERT_EQ(new_events.size(), 2u);
  EXPECT_EQ(new_events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(new_events[1].session_start);
  EXPECT_EQ(new_events[1].step, 31);

  // A second resume earlier still trims both files; a corrupt file is left as it is.
  write_bytes(path("events.out.tfevents.0.corrupt"), "not an event file at all");
  trim_event_files(dir_.string(), 15);
  EXPECT_EQ(steps_of(read_event_file(files[0])), (std::vector<int64_t>{0, 10}));
  EXPECT_EQ(steps_of(read_event_file(files[1])), (std::vector<int64_t>{0}));
  EXPECT_EQ(read_text(path("events.out.tfevents.0.corrupt")), "not an event file at all");
}

TEST_F(TensorBoardTest, AFreshStartRemovesTheEventFilesOfAnEarlierOne) {
  // A run killed before its first checkpoint starts over in its directory: its old events
  // would otherwise sit beside the new run's in TensorBoard.
  {
    TensorBoardSink first(dir_.string(), MetricsSchema(LossKind::kBce, {}, {}));
    first.open({"step"}, 0);
  }
  ASSERT_EQ(event_files().size(), 1u);
  write_bytes(path("notes.txt"), "mine");
  trim_event_files(dir_.string(), 0);
  EXPECT_EQ(event_files(), std::vector<std::string>{path("notes.txt")});  // other files stay
}

}  // namespace
}  // namespace gantrain
