// The progress line: its fields for epoch and step runs, under bce and hinge, and the eval line.
#include "gantrain/io/console_sink.h"

#include <gtest/gtest.h>

#include <string>

#include "gantrain/metrics/metrics_schema.h"
#include "log_capture.h"

namespace gantrain {
namespace {

using ::testing_support::LogCapture;

MetricsRow bce_row(int64_t step) {
  MetricsRow row;
  row.step = step;
  row.values = {{column::kDLoss, 0.5},   {column::kGLoss, 1.25}, {column::kDReal, 0.754},
                {column::kDFake, 0.246}, {column::kStepsPerS, 10}, {column::kEpoch, 2},
                {column::kImagesPerS, 1234.4}};
  return row;
}

TEST(ConsoleSinkTest, AnEpochRunShowsEpochAndImagesPerSecond) {
  ConsoleSink sink(1000, /*epochs=*/true);
  MetricsRow row = bce_row(50);
  row.shown = {"even 99.8%", "", "KL 3.211"};  // an empty one is left out
  LogCapture log;
  sink.write(row);
  // ETA: 950 steps to go at 10 steps/s.
  EXPECT_EQ(log.text(),
            "epoch   2  step   50/1000    1234 img/s  ETA  1m35s  d_loss 0.500  g_loss 1.250  "
            "D(x) 0.75  D(G(z)) 0.25  even 99.8%  KL 3.211\n");
}

TEST(ConsoleSinkTest, AStepRunShowsStepsPerSecondAndTheSamples) {
  ConsoleSink sink(500, /*epochs=*/false);
  MetricsRow row = bce_row(100);
  row.values[column::kStepsPerS] = 5918.4;
  row.sample_text = "[66, 86, ...]";
  LogCapture log;
  sink.write(row);
  EXPECT_EQ(log.text(),
            "step 100/500    5918 steps/s  ETA     0s  d_loss 0.500  g_loss 1.250  D(x) 0.75  "
            "D(G(z)) 0.25  sample [66, 86, ...]\n");
}

TEST(ConsoleSinkTest, HingeShowsRawScoresNotProbabilities) {
  ConsoleSink sink(500, false);
  MetricsRow row;
  row.step = 500;
  row.values = {{column::kDLoss, 1.5}, {column::kGLoss, 0.25}, {column::kDRealScore, 1.5},
                {column::kDFakeScore, -0.75}, {column::kStepsPerS, 100}};
  LogCapture log;
  sink.write(row);
  EXPECT_EQ(log.text(),
            "step 500/500     100 steps/s  ETA     0s  d_loss 1.500  g_loss 0.250  score(x) 1.50  "
            "score(G(z)) -0.75\n");
}

TEST(ConsoleSinkTest, AnEvaluationAddsItsOwnLine) {
  ConsoleSink sink(500, false);
  MetricsRow row = bce_row(200);
  row.eval_shown = {"FID 12.50", "(real train vs test: 1.25)"};
  LogCapture log;
  sink.write(row);
  const std::string text = log.text();
  const size_t second = text.find('\n') + 1;
  EXPECT_EQ(text.substr(0, 10), "step 200/5");
  EXPECT_EQ(text.substr(second), "eval at step 200:  FID 12.50  (real train vs test: 1.25)\n");
}

TEST(ConsoleSinkTest, DurationsInSecondsMinutesAndHours) {
  EXPECT_EQ(format_duration(0.2), "0s");
  EXPECT_EQ(format_duration(42), "42s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3599.6), "1h00m");
  EXPECT_EQ(format_duration(3725), "1h02m");
}

}  // namespace
}  // namespace gantrain
