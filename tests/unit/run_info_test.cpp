// run.json: written and read back; a damaged file is an error naming it.
#include "gantrain/io/run_info.h"

#include <gtest/gtest.h>

#include <fstream>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "temp_dir.h"

using namespace gantrain;

namespace {

// The suite keeps its name from run_files_test.cpp, where these tests were: the docs cite it.
using RunFilesTest = testing_support::TempDirTest;

}  // namespace

TEST_F(RunFilesTest, RunInfoRoundTrips) {
  EXPECT_FALSE(read_run_info(path("run.json")).has_value());
  RunInfo info{"0.1.0", "LibTorch 1.13.0, CPU only", "cpu", 2, "2026-11-27T10:00:00Z", 300,
               "fashion-mnist"};
  write_run_info(path("run.json"), info);
  std::optional<RunInfo> back = read_run_info(path("run.json"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->gantrain, info.gantrain);
  EXPECT_EQ(back->libtorch, info.libtorch);
  EXPECT_EQ(back->device, info.device);
  EXPECT_EQ(back->threads, 2);
  EXPECT_EQ(back->started, info.started);
  EXPECT_EQ(back->resumed_from, 300);
  EXPECT_EQ(back->title, "fashion-mnist");
  std::ofstream(path("run.json"), std::ios::trunc) << "{\"device\": [1, 2";
  EXPECT_THROW_MSG(read_run_info(path("run.json")), Error, "run.json: not a run.json file");
}
