// metrics.csv: rows written, kept across a resume, damaged rows dropped, read back.
#include "gantrain/io/metrics_csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "temp_dir.h"

using namespace gantrain;

namespace {

using testing_support::read_text;
// The suite keeps its name from run_files_test.cpp, where these tests were: the docs cite it.
using RunFilesTest = testing_support::TempDirTest;

MetricsRow row(int64_t step, std::map<std::string, double> values) {
  MetricsRow r;
  r.step = step;
  r.values = std::move(values);
  return r;
}

}  // namespace

TEST_F(RunFilesTest, MetricsCsvDropsRowsAResumeWillRedo) {
  const std::string csv_path = path("metrics.csv");
  {
    MetricsCsv csv(csv_path);
    csv.open({"step", "loss"}, 0);
    for (int step : {10, 20, 30}) csv.write(row(step, {{"loss", 0.5}}));
  }
  MetricsCsv(csv_path).open({"step", "loss"}, 20);
  EXPECT_EQ(read_text(csv_path), "step,loss\n10,0.5\n20,0.5\n");
  // A fresh run (nothing kept) starts over whatever the file held.
  MetricsCsv(csv_path).open({"step", "other"}, 0);
  EXPECT_EQ(read_text(csv_path), "step,other\n");
}

TEST_F(RunFilesTest, MetricsCsvCarriesRowsOfAnOlderColumnSetOverByName) {
  // A run written before the speed columns existed, resumed by this version.
  const std::string csv_path = path("metrics.csv");
  std::ofstream(csv_path) << "step,d_loss,old,elapsed_s\n10,0.5,7,1.5\n20,0.25,8,3\n";
  MetricsCsv csv(csv_path);
  csv.open({"step", "d_loss", "images_per_s", "elapsed_s"}, 20);
  csv.write(row(30, {{"d_loss", 0.125}, {"images_per_s", 1000}, {"elapsed_s", 0.5}}));
  EXPECT_EQ(read_text(csv_path),
            "step,d_loss,images_per_s,elapsed_s\n10,0.5,,1.5\n20,0.25,,3\n30,0.125,1000,0.5\n");
}

TEST_F(RunFilesTest, MetricsCsvDropsATornLastRowAndDamagedRows) {
  // What kill -9 in the middle of an append, or a power cut, can leave behind.
  const std::string csv_path = path("metrics.csv");
  std::ofstream(csv_path) << "step,loss\n10,0.5\n\x01\x02garbage\n20,0.5\n3";
  MetricsTable table = read_metrics_csv(csv_path);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(*table.rows[1][0], 20);
  ASSERT_EQ(table.warnings.size(), 2u);
  EXPECT_NE(table.warnings[0].find("metrics.csv:3: dropping a malformed row"), std::string::npos);
  EXPECT_NE(table.warnings[1].find("metrics.csv:5: dropping an incomplete last row"),
            std::string::npos);
  MetricsCsv(csv_path).open({"step", "loss"}, 30);
  EXPECT_EQ(read_text(csv_path), "step,loss\n10,0.5\n20,0.5\n");
}

TEST_F(RunFilesTest, MetricsCsvWritesLargeStepsWholeAndStartsOverADamagedHeader) {
  const std::string csv_path = path("metrics.csv");
  {
    MetricsCsv csv(csv_path);
    csv.open({"step", "loss"}, 0);
    csv.write(row(123456789, {{"loss", 0.5}}));
  }
  EXPECT_EQ(read_text(csv_path), "step,loss\n123456789,0.5\n");
  std::ofstream(csv_path, std::ios::trunc) << "\x01garbage\n10,0.5\n";
  MetricsCsv(csv_path).open({"step", "loss"}, 20);
  EXPECT_EQ(read_text(csv_path), "step,loss\n");
}

TEST_F(RunFilesTest, MetricsCsvReadsEmptyFieldsAndNan) {
  const std::string csv_path = path("metrics.csv");
  std::ofstream(csv_path) << "step,loss,fid\n10,nan,\n20,0.5,12.5\n";
  MetricsTable table = read_metrics_csv(csv_path);
  EXPECT_EQ(table.index("fid"), 2);
  EXPECT_EQ(table.index("absent"), -1);
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_TRUE(std::isnan(*table.rows[0][1]));
  EXPECT_FALSE(table.rows[0][2].has_value());
  EXPECT_EQ(*table.rows[1][2], 12.5);
  // An empty file (a run that has just started) has no columns; another header is an error.
  std::ofstream(csv_path, std::ios::trunc).flush();
  EXPECT_TRUE(read_metrics_csv(csv_path).columns.empty());
  std::ofstream(csv_path, std::ios::trunc) << "loss,step\n";
  EXPECT_THROW_MSG(read_metrics_csv(csv_path), Error, "metrics.csv:1: expected a header starting with 'step'");
  EXPECT_THROW_MSG(read_metrics_csv(path("none.csv")), Error, "none.csv: cannot open for reading");
}
