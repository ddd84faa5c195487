#include "gantrain/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <vector>

#include "gantrain/config.h"
#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/console_sink.h"
#include "gantrain/io/eval_json.h"
#include "gantrain/io/metrics_csv.h"
#include "gantrain/io/png.h"
#include "gantrain/io/run_dir.h"
#include "gantrain/io/run_info.h"
#include "gantrain/metrics/even_bits_metrics.h"
#include "gantrain/metrics/metrics_schema.h"
#include "gantrain/report/svg_plot.h"
#include "report/html.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;
using detail::escape_html;
using detail::format;
using detail::format_value;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Sample grids shown: evenly spaced, the oldest and the newest always among them...
constexpr size_t kMostGrids = 13;
// ...and no more than this many PNG bytes (base64 adds a third): noisy early grids compress
// badly, and the page must stay small enough to mail.
constexpr uintmax_t kGridBudget = 400 * 1024;

// Metrics drawn together (the model beside the real data's reference value), with their range.
struct MetricPlot {
  std::string title;
  std::vector<std::string> columns, names;
  std::optional<double> y_min, y_max;
};
const std::vector<MetricPlot> kMetricPlots = {
    {"FID (lower is better)", {"fid", "fid_real"}, {"generated", "real"}, 0.0, {}},
    {"Inception score", {"inception_score", "inception_score_real"}, {"generated", "real"}, {}, {}},
    {"Modes covered", {"modes_covered"}, {"classes"}, 0.0, {}},
    {"Precision and recall", {"precision", "recall"}, {"precision", "recall"}, 0.0, 1.0},
    {"Class distribution KL to uniform", {"class_kl"}, {"KL"}, 0.0, {}},
    {"Parzen log-likelihood", {"parzen_ll", "parzen_ll_real"}, {"generated", "real"}, {}, {}},
    {"Fraction even", {"even_fraction"}, {"even"}, 0.0, 1.0},
    {"Distinct values", {"distinct_even", "distinct"}, {"evens (of 64)", "all (of 128)"}, 0.0, {}},
    {"KL(evens || uniform)", {"kl_even_uniform"}, {"KL"}, 0.0, {}},
};
// Constants or companions of a plotted metric: in the tables, not worth a plot.
const std::set<std::string> kNotPlotted = {"classifier_accuracy", "parzen_se", "parzen_sigma"};

const char* const kStyle = R"(
*{box-sizing:border-box}
body{margin:0;background:#fff;color:#333;font:14px/1.5 "DejaVu Sans",Helvetica,Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 32px 40px}
h1{font-size:22px;font-weight:600;margin:0}
h2{font-size:15px;font-weight:600;margin:28px 0 12px;padding-bottom:6px;
 border-bottom:1px solid #e4e4e4}
.sub{color:#777;margin:2px 0 0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 40px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:3px 18px 3px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#555;border-bottom:1px solid #e4e4e4}
td.num,th.num{text-align:right}
.facts td:first-child{color:#777;white-space:nowrap}
.plots{display:flex;flex-wrap:wrap;gap:16px}
.plots svg{border:1px solid #ececec;border-radius:4px;max-width:100%;height:auto}
.grids{display:flex;flex-wrap:wrap;gap:20px 16px;align-items:flex-end}
figure{margin:0}
figcaption{font-size:12px;color:#777;text-align:center;margin-top:4px}
img.grid{display:block;max-width:100%;height:auto;border:1px solid #ddd;
 image-rendering:crisp-edges;image-rendering:pixelated}
pre{background:#f7f7f7;border:1px solid #e8e8e8;border-radius:4px;padding:12px 14px;overflow-x:auto;
 font:12px/1.45 "DejaVu Sans Mono",Menlo,Consolas,monospace;color:#333}
code{font:12px "DejaVu Sans Mono",Menlo,Consolas,monospace}
.caption{color:#777;margin:0 0 8px}
.plots+.caption{margin-top:20px}
.missing{color:#888;font-style:italic}
.problems{background:#fff8e5;border:1px solid #f0dca0;border-radius:4px;padding:8px 14px;
 margin:16px 0 0;color:#6b5200}
.problems ul{margin:4px 0;padding-left:20px}
)";

// Everything the page shows, read once; a part that is missing or damaged stays empty and the
// reason goes to `problems`.
struct Run {
  std::string root, name, task = "unknown", config_text;
  std::string title;  // what it trains on (run.json; the task for older runs)
  std::vector<Setting> settings;
  std::optional<MetricsTable> metrics;
  std::optional<RunInfo> info;
  std::optional<EvalRecord> eval;
  std::vector<StepFile> grids, texts;  // samples/step_N.png and samples/step_N.txt, oldest first
  std::string closest_pairs;           // closest_pairs.png (the images task's eval), or empty
  bool has_metrics_file = false, has_samples_dir = false;
  std::vector<std::string> problems;
};

std::string base64(const std::string& bytes) {
  static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift : {18, 12, 6, 0}) out += kDigits[(v >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = byte(i) << 16;
    out += {kDigits[v >> 18 & 63], kDigits[v >> 12 & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += {kDigits[v >> 18 & 63], kDigits[v >> 12 & 63], kDigits[v >> 6 & 63], '='};
  }
  return out;
}

// `count` evenly spaced indices of [0, n), the first and the last among them.
std::vector<size_t> spread(size_t n, size_t count) {
  std::vector<size_t> out;
  if (count >= n) {
    for (size_t i = 0; i < n; ++i) out.push_back(i);
  } else if (count == 1) {
    out.push_back(n - 1);
  } else {
    for (size_t i = 0; i < count; ++i) out.push_back(i * (n - 1) / (count - 1));
  }
  return out;
}

std::optional<double> cell(const MetricsTable& table, size_t row, int column) {
  if (column < 0 || static_cast<size_t>(column) >= table.rows[row].size()) return std::nullopt;
  return table.rows[row][static_cast<size_t>(column)];
}

std::optional<double> last_value(const MetricsTable& table, const std::string& column) {
  if (table.rows.empty()) return std::nullopt;
  return cell(table, table.rows.size() - 1, table.index(column));
}

// The rows where `measured` was measured; NaN stays in and becomes a gap in the line.
PlotSeries series_of(const MetricsTable& table, const std::string& measured,
                     const std::string& name) {
  PlotSeries s{name, {}, {}};
  const int step = table.index(column::kStep), c = table.index(measured);
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto x = cell(table, r, step), y = cell(table, r, c);
    if (!x || !y) continue;
    s.x.push_back(*x);
    s.y.push_back(*y);
  }
  return s;
}

bool has_finite(const PlotSeries& s) {
  return std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
}

std::string setting(const Run& run, const std::string& key) {
  std::string value;
  for (const auto& s : run.settings)
    if (s.key == key) value = s.value;
  return value;
}

// A resumed run's clock restarts at 0: the wall time is the sum of the segments.
double wall_seconds(const MetricsTable& table) {
  const int c = table.index(column::kElapsedS);
  double total = 0, previous = kNaN;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto v = cell(table, r, c);
    if (!v || !std::isfinite(*v)) continue;
    if (std::isfinite(previous) && *v < previous) total += previous;
    previous = *v;
  }
  return std::isfinite(previous) ? total + previous : kNaN;
}

// Milliseconds or tenths of a second for short runs, else as the progress line's ETA reads.
std::string wall_time_text(double seconds) {
  if (!std::isfinite(seconds)) return "unknown";
  if (seconds < 1) return format("%.3f s", seconds);  // even-bits trains 500 steps in 0.05 s
  if (seconds < 60) return format("%.1f s", seconds);
  return format_duration(seconds);
}

double column_mean(const MetricsTable& table, const std::string& column) {
  const int c = table.index(column);
  double sum = 0;
  int n = 0;
  for (size_t r = 0; r < table.rows.size(); ++r)
    if (const auto v = cell(table, r, c); v && std::isfinite(*v)) {
      sum += *v;
      ++n;
    }
  return n ? sum / n : kNaN;
}

Run load_run(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error(root + ": not a directory");
  const RunDir dir{root};
  if (!fs::exists(dir.config_path(), ec) && !fs::exists(dir.metrics_path(), ec))
    throw Error(root + ": not a gantrain run directory (no config.yaml or metrics.csv)");
  Run run;
  run.root = root;
  fs::path name = fs::absolute(root, ec).lexically_normal();
  if (!name.has_filename()) name = name.parent_path();  // "runs/x/" names x
  run.name = name.filename().string();
  // Each part on its own: a damaged file costs its section, never the page.
  try {
    if (fs::exists(dir.config_path(), ec)) {
      run.config_text = read_file(dir.config_path());
      run.settings = read_config_text(run.config_text, dir.config_path());
      run.task = task_named(run.settings, "unknown");
    }
  } catch (const std::exception& e) {
    run.problems.push_back(first_line(e.what()));
  }
  run.has_metrics_file = fs::exists(dir.metrics_path(), ec);
  try {
    if (run.has_metrics_file) run.metrics = read_metrics_csv(dir.metrics_path());
  } catch (const std::exception& e) {
    run.problems.push_back(first_line(e.what()));
  }
  if (run.metrics)
    for (const auto& w : run.metrics->warnings) run.problems.push_back(w);
  try {
    run.info = read_run_info(dir.run_info_path());
  } catch (const std::exception& e) {
    run.problems.push_back(first_line(e.what()));
  }
  try {
    run.eval = read_eval_json(dir.eval_path());
  } catch (const std::exception& e) {
    run.problems.push_back(first_line(e.what()));
  }
  if (fs::exists(dir.closest_pairs_path(), ec)) {
    try {
      run.closest_pairs = read_file(dir.closest_pairs_path());
    } catch (const std::exception& e) {
      run.problems.push_back(first_line(e.what()));
    }
    if (!read_png_header(run.closest_pairs)) run.closest_pairs.clear();
  }
  run.has_samples_dir = fs::is_directory(dir.samples_dir(), ec);
  run.grids = step_files(dir.samples_dir(), "png");
  run.texts = step_files(dir.samples_dir(), "txt");
  if (run.task == "unknown" && !run.texts.empty()) run.task = "even-bits";
  if (run.task == "unknown" && !run.grids.empty()) run.task = "mnist";
  run.title = run.info && !run.info->title.empty() ? run.info->title : run.task;
  return run;
}

// Two plots side by side fill the page's 1136 px.
PlotOptions plot_options(const std::string& title, const std::string& y_label,
                         std::optional<double> y_min, std::optional<double> y_max) {
  PlotOptions o;
  o.title = title;
  o.y_label = y_label;
  o.width = 560;
  o.y_min = y_min;
  o.y_max = y_max;
  return o;
}

std::string missing(const std::string& text) { return "<p class=\"missing\">" + text + "</p>\n"; }

std::string facts_section(const Run& run) {
  std::vector<std::pair<std::string, std::string>> rows;
  auto known = [](const std::string& v) { return v.empty() ? std::string("unknown") : v; };
  const RunInfo* info = run.info ? &*run.info : nullptr;
  rows.push_back({"task", run.title == run.task ? run.task : run.task + " (" + run.title + ")"});
  rows.push_back({"device", known(info ? info->device : "")});
  rows.push_back({"LibTorch", known(info ? info->libtorch : "")});
  rows.push_back({"gantrain", known(info ? info->gantrain : "")});
  rows.push_back(
      {"threads", info && info->threads > 0 ? std::to_string(info->threads) : "unknown"});
  std::string steps = "unknown", epoch = "unknown", wall = "unknown", steps_s = "unknown",
              images_s = "unknown";
  if (run.metrics && !run.metrics->rows.empty()) {
    const MetricsTable& t = *run.metrics;
    const auto last_step = last_value(t, column::kStep);
    if (last_step) steps = format_value(*last_step);
    if (const auto e = last_value(t, column::kEpoch)) epoch = format_value(*e);
    const double seconds = wall_seconds(t);
    wall = wall_time_text(seconds);
    double per_step = column_mean(t, column::kStepsPerS);
    // Older runs have no speed columns: the average over the whole run instead.
    if (!std::isfinite(per_step) && last_step && seconds > 0) per_step = *last_step / seconds;
    double per_image = column_mean(t, column::kImagesPerS);
    if (!std::isfinite(per_image)) {
      const std::string batch = setting(run, "train.batch_size"), k = setting(run, "train.d_steps");
      if (!batch.empty())
        per_image = per_step * std::atof(batch.c_str()) * (k.empty() ? 1 : std::atof(k.c_str()));
    }
    if (std::isfinite(per_step)) steps_s = format(per_step < 100 ? "%.2f" : "%.0f", per_step);
    if (std::isfinite(per_image)) images_s = format("%.0f", per_image);
  }
  rows.push_back({"steps done", steps});
  rows.push_back({"epoch", epoch});
  rows.push_back({"wall time", wall});
  rows.push_back({"steps/s", steps_s});
  rows.push_back({"images/s", images_s});
  rows.push_back({"started", known(info ? info->started : "")});
  rows.push_back({"resumed from", !info ? "unknown"
                                  : info->resumed_from > 0
                                      ? "step " + std::to_string(info->resumed_from)
                                      : "not resumed"});
  rows.push_back({"directory", run.root});
  std::string s = "<section><h2>Run</h2>\n<table class=\"facts\">\n";
  for (const auto& [key, value] : rows)
    s += "<tr><td>" + escape_html(key) + "</td><td>" + escape_html(value) + "</td></tr>\n";
  return s + "</table></section>\n";
}

// The class index of a per-class metric ("class_fidelity_3", "intra_fid_3": the "classes"
// group of a conditional run), or nullopt for any other metric.
std::optional<size_t> class_of(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return std::nullopt;
  const std::string digits = name.substr(prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6)
    return std::nullopt;
  return static_cast<size_t>(std::stoul(digits));
}

// The metrics, one per row, then a conditional run's per-class values as one table with a row
// per class.
std::string metric_table(const std::vector<std::pair<std::string, double>>& metrics) {
  std::string s = "<table><tr><th>metric</th><th class=\"num\">value</th></tr>\n";
  std::vector<std::optional<double>> fidelity, fid;
  auto put = [](std::vector<std::optional<double>>& column, size_t k, double value) {
    if (column.size() <= k) column.resize(k + 1);
    column[k] = value;
  };
  for (const auto& [name, value] : metrics) {
    if (const auto k = class_of(name, "class_fidelity_")) {
      put(fidelity, *k, value);
    } else if (const auto j = class_of(name, "intra_fid_")) {
      put(fid, *j, value);
    } else {
      s += "<tr><td>" + escape_html(name) + "</td><td class=\"num\">" + format_value(value) +
           "</td></tr>\n";
    }
  }
  s += "</table>";
  const size_t classes = std::max(fidelity.size(), fid.size());
  if (classes == 0) return s;
  fidelity.resize(classes);
  fid.resize(classes);
  s += "\n<table><tr><th>class</th><th class=\"num\">class fidelity</th>"
       "<th class=\"num\">intra-FID</th></tr>\n";
  for (size_t k = 0; k < classes; ++k)
    s += "<tr><td>" + std::to_string(k) + "</td><td class=\"num\">" +
         (fidelity[k] ? format_value(*fidelity[k]) : "") + "</td><td class=\"num\">" +
         (fid[k] ? format_value(*fid[k]) : "") + "</td></tr>\n";
  return s + "</table>";
}

// The memorisation check's closest pairs, where the last evaluation drew them.
std::string closest_pairs_figure(const Run& run) {
  if (run.closest_pairs.empty()) return "";
  return "<figure><img alt=\"closest pairs\" src=\"data:image/png;base64," +
         base64(run.closest_pairs) +
         "\"><figcaption>Memorisation check: samples (top) over their nearest training "
         "images (below), closest first (closest_pairs.png)</figcaption></figure>\n";
}

std::string eval_section(const Run& run) {
  std::string s = "<section><h2>Final evaluation</h2>\n" + closest_pairs_figure(run);
  if (run.eval) {
    const EvalRecord& e = *run.eval;
    return s + "<p class=\"caption\">From eval.json: <code>" + escape_html(e.checkpoint) +
           "</code> (" + escape_html(e.generator) + "), step " + std::to_string(e.step) + ", " +
           std::to_string(e.samples) +
           " samples (seed " + std::to_string(e.seed) + ").</p>\n" + metric_table(e.metrics) +
           "</section>\n";
  }
  // Else the newest metrics.csv row that measured something beyond the losses.
  if (run.metrics) {
    const MetricsTable& t = *run.metrics;
    for (size_t r = t.rows.size(); r-- > 0;) {
      std::vector<std::pair<std::string, double>> found;
      for (size_t c = 0; c < t.columns.size(); ++c)
        if (!is_training_column(t.columns[c]))
          if (const auto v = cell(t, r, static_cast<int>(c))) found.push_back({t.columns[c], *v});
      if (found.empty()) continue;
      const auto step = cell(t, r, t.index(column::kStep));
      return s + "<p class=\"caption\">From metrics.csv at step " +
             (step ? format_value(*step) : "?") +
             " (<code>gantrain eval</code> writes eval.json with a final measurement).</p>\n" +
             metric_table(found) + "</section>\n";
    }
  }
  return s + missing("No evaluation yet.") + "</section>\n";
}

std::string curves_section(const Run& run) {
  std::string s = "<section><h2>Training</h2>\n";
  if (!run.metrics) {
    return s +
           missing(run.has_metrics_file ? "metrics.csv could not be read (see above)."
                                        : "No metrics.csv: the run has not logged a step yet.") +
           "</section>\n";
  }
  const MetricsTable& t = *run.metrics;
  if (t.rows.empty())
    return s + missing("metrics.csv has no complete rows yet: no log step reached.") +
           "</section>\n";
  s += "<div class=\"plots\">\n" +
       svg_line_plot({series_of(t, column::kDLoss, "D loss"), series_of(t, column::kGLoss, "G loss")},
                     plot_options("Losses", "loss", {}, {})) +
       "\n" +
       // Probabilities under bce; raw scores (unbounded) under hinge and lsgan.
       (t.index(column::kDRealScore) >= 0
            ? svg_line_plot({series_of(t, column::kDRealScore, "score(x)"),
                             series_of(t, column::kDFakeScore, "score(G(z))")},
                            plot_options("Discriminator outputs", "mean raw score", {}, {}))
            : svg_line_plot({series_of(t, column::kDReal, "D(x)"), series_of(t, column::kDFake, "D(G(z))")},
                            plot_options("Discriminator outputs", "mean probability", 0.0, 1.0))) +
       "\n</div></section>\n";

  // Sample quality over the run: the known groups first, then any other metric column alone.
  std::string plots;
  std::set<std::string> drawn = kNotPlotted;
  auto add = [&](const std::string& title, std::vector<PlotSeries> series, std::optional<double> lo,
                 std::optional<double> hi) {
    series.erase(std::remove_if(series.begin(), series.end(),
                                [](const PlotSeries& p) { return !has_finite(p); }),
                 series.end());
    if (series.empty()) return;
    plots += svg_line_plot(series, plot_options(title, "", lo, hi)) + "\n";
  };
  for (const auto& m : kMetricPlots) {
    std::vector<PlotSeries> series;
    for (size_t i = 0; i < m.columns.size(); ++i) {
      if (t.index(m.columns[i]) >= 0) series.push_back(series_of(t, m.columns[i], m.names[i]));
      drawn.insert(m.columns[i]);
    }
    add(m.title, series, m.y_min, m.y_max);
  }
  for (const auto& c : t.columns)
    if (!is_training_column(c) && !drawn.count(c)) add(c, {series_of(t, c, c)}, {}, {});
  if (!plots.empty())
    s += "<section><h2>Sample quality over training</h2>\n<div class=\"plots\">\n" + plots +
         "</div></section>\n";
  return s;
}

std::string grids_section(const Run& run) {
  const size_t n = run.grids.size();
  uintmax_t bytes = 0;
  std::error_code ec;
  for (const auto& g : run.grids) {
    const uintmax_t size = fs::file_size(g.path, ec);
    if (!ec) bytes += size;
  }
  const uintmax_t mean = std::max<uintmax_t>(1, bytes / n);
  const size_t count = std::min<size_t>(kMostGrids, std::max<uintmax_t>(2, kGridBudget / mean));
  const std::vector<size_t> shown = spread(n, count);
  std::string s = "<p class=\"caption\">The same fixed noise at each step, oldest to newest";
  if (shown.size() < n) s += format(" (%zu of %zu grids)", shown.size(), n);
  s += ".</p>\n<div class=\"grids\">\n";
  std::vector<std::string> skipped;
  for (size_t i : shown) {
    const StepFile& g = run.grids[i];
    std::string png;
    try {
      png = read_file(g.path);
    } catch (const Error&) {
      // Unreadable: left out below like any other file that is not a PNG.
    }
    const std::optional<PngHeader> header = read_png_header(png);
    if (!header) {
      skipped.push_back(fs::path(g.path).filename().string());
      continue;
    }
    // Whole-number scaling keeps every pixel square: 2x for a 242 px MNIST grid.
    const int64_t scale = std::clamp<int64_t>(520 / header->width, 1, 3);
    const std::string step = std::to_string(g.step);
    s += "<figure><img class=\"grid\" width=\"" + std::to_string(header->width * scale) +
         "\" height=\"" + std::to_string(header->height * scale) + "\" alt=\"samples at step " +
         step + "\" src=\"data:image/png;base64," + base64(png) + "\"><figcaption>step " + step +
         "</figcaption></figure>\n";
  }
  s += "</div>\n";
  if (!skipped.empty()) {
    std::string names;
    for (const auto& k : skipped) names += (names.empty() ? "" : ", ") + k;
    s += missing("Not PNG files, left out: " + escape_html(names) + ".");
  }
  return s;
}

std::vector<int64_t> integers_in(const std::string& text) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] < '0' || text[i] > '9') {
      ++i;
      continue;
    }
    int64_t v = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
      v = std::min<int64_t>(v * 10 + (text[i] - '0'), 1 << 20);
    out.push_back(v);
  }
  return out;
}

// even-bits: the newest samples as a histogram over 0..127 (the target is uniform over the 64
// evens), and the same figures for earlier steps in a table.
std::string histogram_section(const Run& run) {
  const StepFile& newest = run.texts.back();
  EvenBitsStats st;
  try {
    st = even_bits_stats(integers_in(read_file(newest.path)));
  } catch (const Error& e) {
    return missing(escape_html(first_line(e.what())));
  }
  if (st.samples == 0) return missing(escape_html(newest.path) + " holds no samples.");
  PlotSeries even{"even", {}, {}}, odd{"odd", {}, {}};
  for (size_t v = 0; v < 128; ++v) {
    PlotSeries& s = v % 2 ? odd : even;
    s.x.push_back(static_cast<double>(v));
    s.y.push_back(static_cast<double>(st.counts[v]));
  }
  PlotOptions o =
      plot_options("Values of the samples at step " + std::to_string(newest.step), "count", {}, {});
  o.x_label = "value";
  o.width = 1136;  // the page's full width: 128 bars
  o.x_min = -1.0;
  o.x_max = 128.0;
  std::string s = "<p class=\"caption\">" + std::to_string(st.samples) +
                  " samples: " + format("%.1f%%", 100.0 * st.even / st.samples) + " even, " +
                  std::to_string(st.distinct_even) + " of the 64 even values present, " +
                  std::to_string(st.samples - st.even) + " odd";
  if (st.out_of_range) s += ", " + std::to_string(st.out_of_range) + " outside 0..127";
  s += ".</p>\n<div class=\"plots\">" + svg_bar_plot({even, odd}, o) + "</div>\n";
  s += "<p class=\"caption\">The sample files over training, evenly spaced:</p>\n";
  s += "<table><tr><th class=\"num\">step</th><th class=\"num\">samples</th>"
       "<th class=\"num\">even</th><th class=\"num\">distinct evens</th></tr>\n";
  for (size_t i : spread(run.texts.size(), kMostGrids)) {
    EvenBitsStats t;
    try {
      t = even_bits_stats(integers_in(read_file(run.texts[i].path)));
    } catch (const Error&) {
      continue;
    }
    s += "<tr><td class=\"num\">" + std::to_string(run.texts[i].step) + "</td><td class=\"num\">" +
         std::to_string(t.samples) + "</td><td class=\"num\">" +
         (t.samples ? format("%.1f%%", 100.0 * t.even / t.samples) : std::string("-")) +
         "</td><td class=\"num\">" + std::to_string(t.distinct_even) + "/64</td></tr>\n";
  }
  return s + "</table>\n";
}

std::string samples_section(const Run& run) {
  std::string s = "<section><h2>Samples</h2>\n";
  if (!run.has_samples_dir)
    return s + missing("No samples folder: the run has not written samples yet.") + "</section>\n";
  if (!run.grids.empty()) return s + grids_section(run) + "</section>\n";
  if (!run.texts.empty()) return s + histogram_section(run) + "</section>\n";
  return s + missing("No samples in samples/ yet.") + "</section>\n";
}

}  // namespace

std::string build_report(const std::string& run_dir) {
  const Run run = load_run(run_dir);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      escape_html(run.name + " · " + run.title) + " · gantrain report</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body><main>\n<header><h1>" + escape_html(run.name) +
      "</h1><p class=\"sub\">" + escape_html(run.title) + " run · gantrain report</p></header>\n";
  if (!run.problems.empty()) {
    page += "<div class=\"problems\">Read with problems; the page shows what could be read:<ul>\n";
    for (const auto& p : run.problems) page += "<li>" + escape_html(p) + "</li>\n";
    page += "</ul></div>\n";
  }
  page += "<div class=\"cols\">\n" + facts_section(run) + eval_section(run) + "</div>\n";
  page += curves_section(run);
  page += samples_section(run);
  page += "<section><h2>Configuration</h2>\n";
  page += run.config_text.empty() ? missing("No config.yaml in the run directory.")
                                  : "<pre>" + escape_html(run.config_text) + "</pre>\n";
  page += "</section>\n</main></body>\n</html>\n";
  return page;
}

}  // namespace gantrain
