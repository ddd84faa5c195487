// eval.json: written and read back (NaN as null), older files, damaged files.
#include "gantrain/io/eval_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "temp_dir.h"

using namespace gantrain;

namespace {

// The suite keeps its name from run_files_test.cpp, where these tests were: the docs cite it.
using RunFilesTest = testing_support::TempDirTest;

}  // namespace

TEST_F(RunFilesTest, EvalJsonRoundTripsWithNullForNan) {
  EXPECT_FALSE(read_eval_json(path("eval.json")).has_value());
  EvalRecord record{"runs/x/checkpoints/latest.pt", 500, 10000, 1, {{"fid", 12.5}, {"is", NAN}},
                    "generator_ema"};
  write_eval_json(path("eval.json"), record);
  std::optional<EvalRecord> back = read_eval_json(path("eval.json"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->checkpoint, record.checkpoint);
  EXPECT_EQ(back->step, 500);
  EXPECT_EQ(back->samples, 10000);
  EXPECT_EQ(back->seed, 1);
  EXPECT_EQ(back->generator, "generator_ema");
  ASSERT_EQ(back->metrics.size(), 2u);  // in the order written
  EXPECT_EQ(back->metrics[0].first, "fid");
  EXPECT_EQ(back->metrics[0].second, 12.5);
  EXPECT_EQ(back->metrics[1].first, "is");
  EXPECT_TRUE(std::isnan(back->metrics[1].second));
  // A file from before train.ema_decay: no "generator" key.
  std::ofstream(path("eval.json"), std::ios::trunc)
      << "{\"checkpoint\": \"c.pt\", \"step\": 1, \"samples\": 10, \"seed\": 1, \"metrics\": {}}";
  EXPECT_EQ(read_eval_json(path("eval.json"))->generator, "generator");
  std::ofstream(path("eval.json"), std::ios::trunc) << "{\"step\": \"many\"}";
  EXPECT_THROW_MSG(read_eval_json(path("eval.json")), Error, "eval.json: not an eval.json file");
}
