// gantrain report: the SVG plots and the HTML page of run directories the tests write.
#include "gantrain/report/report.h"

#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "gantrain/io/eval_json.h"
#include "gantrain/io/run_info.h"
#include "gantrain/report/svg_plot.h"
#include "temp_dir.h"

using namespace gantrain;
namespace fs = std::filesystem;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The (x, y) pixel pairs of every polyline in `svg`.
std::vector<std::pair<double, double>> polyline_points(const std::string& svg) {
  std::vector<std::pair<double, double>> out;
  const std::string key = "points=\"";
  for (size_t at = svg.find(key); at != std::string::npos; at = svg.find(key, at + 1)) {
    const size_t begin = at + key.size();
    std::istringstream in(svg.substr(begin, svg.find('"', begin) - begin));
    double x, y;
    char comma;
    while (in >> x >> comma >> y) out.push_back({x, y});
  }
  return out;
}

std::string base64_decode(const std::string& text) {
  const std::string digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    if (c == '=') break;
    bits = bits << 6 | static_cast<uint32_t>(digits.find(c));
    if ((held += 6) >= 8) out += static_cast<char>(bits >> (held -= 8) & 255);
  }
  return out;
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<size_t>(size));
}

// A w x h grey PNG, black but for `white` white pixels.
std::string tiny_png(int w, int h, int white = 1) {
  std::vector<unsigned char> pixels(static_cast<size_t>(w * h), 0);
  for (int i = 0; i < white; ++i) pixels[static_cast<size_t>(i * 7)] = 255;
  std::string png;
  stbi_write_png_to_func(append_bytes, &png, w, h, 1, pixels.data(), w);
  return png;
}

class ReportTest : public testing_support::TempDirTest {
 protected:
  void write(const std::string& name, const std::string& text) const {
    fs::create_directories(fs::path(path(name)).parent_path());
    std::ofstream(path(name), std::ios::binary) << text;
  }
};

const char* const kMnistCsv =
    "step,epoch,d_loss,g_loss,d_real,d_fake,fid,fid_real,modes_covered,elapsed_s\n"
    "100,1,1.30,0.80,0.55,0.45,,,,10\n"
    "200,1,1.20,0.90,0.60,0.40,80.5,2.1,7,20\n"
    "300,2,1.10,1.00,0.62,0.38,,,,5\n"  // resumed: the clock restarted
    "400,2,1.00,1.10,0.65,0.35,40.25,2.1,9,15\n";

}  // namespace

TEST(SvgPlotTest, HasAxesTicksLabelsLegendAndOneLinePerSeries) {
  PlotOptions options;
  options.title = "Losses";
  options.y_label = "loss";
  const std::string svg = svg_line_plot(
      {{"D loss", {0, 500, 1000}, {1.4, 1.2, 1.1}}, {"G loss", {0, 500, 1000}, {0.7, 0.9, 1.3}}},
      options);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(contains(svg, "</svg>"));
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  for (const char* text :
       {">Losses<", ">loss<", ">step<", ">D loss<", ">G loss<", ">1000<", ">0<", ">1.4<"})
    EXPECT_TRUE(contains(svg, text)) << text;
  EXPECT_TRUE(contains(svg, "#1f77b4"));  // the palette's first two colours
  EXPECT_TRUE(contains(svg, "#ff7f0e"));
  EXPECT_FALSE(contains(svg, "#000"));  // never black
  EXPECT_FALSE(contains(svg, "http"));  // inline SVG in HTML needs no namespace URL
}

TEST(SvgPlotTest, DownsamplingKeepsAThousandPointsAndTheSpike) {
  PlotSeries s{"loss", {}, {}};
  for (int i = 0; i < 100000; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 54321 ? 50.0 : 0.5 + 0.1 * std::sin(i * 0.01));
  }
  const std::string svg = svg_line_plot({s}, PlotOptions{});
  const auto points = polyline_points(svg);
  EXPECT_GT(points.size(), 500u);
  EXPECT_LE(points.size(), 1000u);
  // The y axis reaches 50 because of the spike; a point must be drawn at its top (y = 34 px).
  double top = 1e9;
  for (const auto& p : points) top = std::min(top, p.second);
  EXPECT_NEAR(top, 34.0, 0.5);
  EXPECT_TRUE(contains(svg, ">0<"));  // a long step axis counts in thousands
  EXPECT_TRUE(contains(svg, ">20k<"));
}

TEST(SvgPlotTest, NonFiniteValuesAreGapsAndNoDataIsSaid) {
  const double nan = std::nan("");
  const std::string svg =
      svg_line_plot({{"fid", {1, 2, 3, 4, 5, 6}, {5, 4, nan, nan, 3, 2}}}, PlotOptions{});
  EXPECT_EQ(count(svg, "<polyline"), 2u);
  EXPECT_FALSE(contains(svg, "nan"));
  EXPECT_TRUE(contains(svg_line_plot({{"fid", {}, {}}}, PlotOptions{}), "no data yet"));
}

TEST(SvgPlotTest, FixedRangeClampsAndBarsAreDrawn) {
  PlotOptions options;
  options.y_min = 0.0;
  options.y_max = 1.0;
  const std::string svg = svg_line_plot({{"D(x)", {0, 10}, {0.5, 1.7}}}, options);
  EXPECT_TRUE(contains(svg, ">1.0<"));
  EXPECT_FALSE(contains(svg, ">1.5<"));  // the axis stays [0, 1]; the point is clamped
  const std::string bars =
      svg_bar_plot({{"even", {0, 2, 4}, {3, 0, 1}}, {"odd", {1}, {2}}}, PlotOptions{});
  EXPECT_EQ(count(bars, "<rect"), 2u + 3u);  // two legend swatches, three non-empty bars
}

// A run of a fraction of a second (even-bits) shows its wall time in milliseconds, and a
// Fashion-MNIST run says so (run.json's title), not just "mnist".
TEST_F(ReportTest, ShortWallTimeAndTheDataSetTrainedOn) {
  write("config.yaml", "task: mnist\n");
  write("metrics.csv", "step,elapsed_s\n250,0.021\n500,0.043\n");
  write_run_info(path("run.json"),
                 {"0.1.0", "LibTorch 1.13.0", "cpu", 1, "2026-12-05T10:00:00Z", 0, "fashion-mnist"});
  const std::string page = build_report(dir_.string());
  for (const char* text : {"<td>wall time</td><td>0.043 s</td>",
                           "<td>task</td><td>mnist (fashion-mnist)</td>", "fashion-mnist run"})
    EXPECT_TRUE(contains(page, text)) << text;
}

TEST_F(ReportTest, SyntheticMnistRunHasPlotsImagesFactsAndEvalTable) {
  write("config.yaml", "# a < b in a comment\ntask: mnist\ntrain:\n  batch_size: 64\n");
  write("metrics.csv", kMnistCsv);
  // Two sizes of file, so that the base64 tails differ.
  const std::string first_png = tiny_png(30, 20), second_png = tiny_png(30, 20, 2);
  write("samples/step_000200.png", first_png);
  write("samples/step_000400.png", second_png);
  write_eval_json(
      path("eval.json"),
      {"checkpoints/step_000400.pt", 400, 1000, 7, {{"fid", 14.21}, {"modes_covered", 10}}});
  write_run_info(path("run.json"),
                 {"0.1.0", "LibTorch 2.11.0", "cuda:0", 8, "2025-11-27T10:00:00Z", 200, ""});

  const std::string page = build_report(dir_.string());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_FALSE(contains(page, "http"));
  EXPECT_FALSE(contains(page, "<script"));
  EXPECT_FALSE(contains(page, "url("));
  for (const char* text :
       {">Losses<", ">Discriminator outputs<", ">FID (lower is better)<", ">Modes covered<"})
    EXPECT_TRUE(contains(page, text)) << text;
  // Both grids inline, 3x their 30 px width, crisp.
  const std::string key = "src=\"data:image/png;base64,";
  std::vector<std::string> embedded;
  for (size_t at = page.find(key); at != std::string::npos; at = page.find(key, at + 1)) {
    const size_t begin = at + key.size();
    embedded.push_back(base64_decode(page.substr(begin, page.find('"', begin) - begin)));
  }
  ASSERT_EQ(embedded.size(), 2u);
  EXPECT_EQ(embedded[0], first_png);
  EXPECT_EQ(embedded[1], second_png);
  EXPECT_EQ(count(page, "width=\"90\" height=\"60\""), 2u);
  EXPECT_TRUE(contains(page, "image-rendering:pixelated"));
  EXPECT_TRUE(contains(page, ">step 200<"));
  EXPECT_TRUE(contains(page, ">step 400<"));
  // Facts: run.json, the last step, wall time summed over the resumed segments (20 + 15 s),
  // speeds from steps / wall time (no speed columns) and the batch size.
  for (const char* text :
       {"<td>device</td><td>cuda:0</td>", "<td>LibTorch</td><td>LibTorch 2.11.0</td>",
        "<td>gantrain</td><td>0.1.0</td>", "<td>steps done</td><td>400</td>",
        "<td>resumed from</td><td>step 200</td>", "<td>wall time</td><td>35.0 s</td>",
        "<td>steps/s</td><td>11.43</td>", "<td>images/s</td><td>731</td>"})
    EXPECT_TRUE(contains(page, text)) << text;
  // The eval table comes from eval.json; the config is shown escaped.
  EXPECT_TRUE(contains(page, "checkpoints/step_000400.pt"));
  EXPECT_TRUE(contains(page, ">14.21<"));
  EXPECT_TRUE(contains(page, "# a &lt; b in a comment"));
}

TEST_F(ReportTest, EvalTableFallsBackToTheLastEvaluatedRow) {
  write("config.yaml", "task: mnist\n");
  write("metrics.csv", kMnistCsv);
  const std::string page = build_report(dir_.string());
  EXPECT_TRUE(contains(page, "From metrics.csv at step 400"));
  EXPECT_TRUE(contains(page, ">40.25<"));
  EXPECT_TRUE(contains(page, "No samples folder"));
  EXPECT_TRUE(contains(page, ">unknown<"));  // no run.json
}

// A conditional run's eval: the means in the metric table, each class in a row of its own.
TEST_F(ReportTest, PerClassMetricsFormATableWithARowPerClass) {
  write("config.yaml", "task: mnist\n");
  write_eval_json(path("eval.json"),
                  {"checkpoints/step_000400.pt", 400, 1000, 7,
                   {{"class_fidelity", 0.9}, {"intra_fid", 30.5}, {"class_fidelity_0", 0.75},
                    {"class_fidelity_1", 0.5}, {"intra_fid_0", 12.25}, {"intra_fid_1", 48.75}}});
  const std::string page = build_report(dir_.string());
  EXPECT_TRUE(contains(page, "<td>class_fidelity</td><td class=\"num\">0.9</td>")) << page;
  EXPECT_TRUE(contains(page, "<th>class</th><th class=\"num\">class fidelity</th><th class=\"num\">intra-FID</th>"));
  EXPECT_TRUE(contains(page, "<tr><td>1</td><td class=\"num\">0.5</td><td class=\"num\">48.75</td></tr>"));
  EXPECT_FALSE(contains(page, "<td>class_fidelity_0</td>"));
}

TEST_F(ReportTest, TornMetricsMissingSamplesAndBadEvalJsonAreSaidNotFatal) {
  write("config.yaml", "task: mnist\n");
  write("metrics.csv",
        "step,epoch,d_loss,g_loss,d_real,d_fake,elapsed_s\n100,1,1.3,0.8,0.5,0.4,1\n200,1,1.");
  write("eval.json", "{ this is not json");
  const std::string page = build_report(dir_.string());
  // Both problems listed at the top: the torn line by number, and the file that is not JSON.
  const size_t at = page.find("class=\"problems\"");
  ASSERT_NE(at, std::string::npos);
  const std::string problems = page.substr(at, 1000);
  EXPECT_TRUE(contains(problems, "metrics.csv:3"));
  EXPECT_TRUE(contains(problems, "eval.json"));
  EXPECT_TRUE(contains(page, ">Losses<"));
  EXPECT_TRUE(contains(page, "No samples folder"));
  EXPECT_TRUE(contains(page, "No evaluation yet."));
}

TEST_F(ReportTest, EmptyMetricsAndNoConfigSayWhatIsMissing) {
  write("metrics.csv", "");
  fs::create_directories(dir_ / "samples");
  const std::string page = build_report(dir_.string());
  EXPECT_TRUE(contains(page, "metrics.csv has no complete rows yet"));
  EXPECT_TRUE(contains(page, "No config.yaml"));
  EXPECT_TRUE(contains(page, "No samples in samples/ yet."));
  EXPECT_FALSE(contains(page, "<svg"));
}

TEST_F(ReportTest, NotARunDirectoryThrows) {
  EXPECT_THROW_MSG(build_report(dir_.string()), Error,
                   "not a gantrain run directory (no config.yaml or metrics.csv)");
  EXPECT_THROW_MSG(build_report(path("absent")), Error, "not a directory");
}

TEST_F(ReportTest, EvenBitsRunShowsTheHistogramOfTheNewestSamples) {
  write("config.yaml", "task: even-bits\n");
  write("metrics.csv",
        "step,epoch,d_loss,g_loss,d_real,d_fake,even_fraction,distinct,distinct_even,kl_even_"
        "uniform,elapsed_s\n"
        "50,0,1.3,0.7,0.5,0.5,0.6,20,10,2.0,0.1\n100,0,1.2,0.7,0.6,0.4,0.8,30,20,1.0,0.2\n");
  write("samples/step_000050.txt", "[1, 3, 5]\n");
  write("samples/step_000100.txt", "[0, 2, 2, 5, 126]\n");
  const std::string page = build_report(dir_.string());
  EXPECT_TRUE(contains(page, ">Values of the samples at step 100<"));
  EXPECT_TRUE(contains(page, "5 samples: 80.0% even, 3 of the 64 even values present, 1 odd."));
  EXPECT_TRUE(contains(page, ">Fraction even<"));
  EXPECT_TRUE(contains(page, ">Distinct values<"));
  EXPECT_TRUE(contains(page, ">3/64<"));  // the timeline table, newest row
  EXPECT_FALSE(contains(page, "data:image/png"));
}

// A sample file that was edited or written by something else: values outside 0..127 are
// counted (even or odd as they are) and named, not drawn.
TEST_F(ReportTest, EvenBitsHistogramCountsValuesOutsideTheRange) {
  write("config.yaml", "task: even-bits\n");
  write("metrics.csv", "step,d_loss\n100,1.2\n");
  write("samples/step_000100.txt", "[0, 2, 200, 131, 7]\n");
  const std::string page = build_report(dir_.string());
  EXPECT_TRUE(contains(page, "5 samples: 60.0% even, 2 of the 64 even values present, 2 odd, "
                             "2 outside 0..127."));
}
