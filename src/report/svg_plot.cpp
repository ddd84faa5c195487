#include "gantrain/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "report/html.h"

namespace gantrain {
namespace {

using detail::escape_html;
using detail::format;

// Tableau 10: hues that stay apart for the common colour blindnesses; none is black.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
constexpr size_t kColors = sizeof kPalette / sizeof kPalette[0];
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kFuzz = 1e-9;  // floating-point slack when snapping to tick multiples

struct Point {
  double x, y;
  bool finite() const { return std::isfinite(x) && std::isfinite(y); }
};

const char* color(size_t i) { return kPalette[i % kColors]; }

// Heckbert, "Nice numbers for graph labels", Graphics Gems (1990): x rounded to 1, 2 or 5
// times a power of 10.
double nice_number(double x) {
  const double power = std::pow(10.0, std::floor(std::log10(x)));
  const double fraction = x / power;
  return (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * power;
}

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
};

// An axis over [lo, hi] with about `ticks` ticks; `round_out` widens it to whole ticks.
Axis make_axis(double lo, double hi, int ticks, bool round_out) {
  // A diverged loss of 1e308 would overflow hi - lo; drawn values are clamped to the axis.
  lo = std::max(lo, -1e300);
  hi = std::min(hi, 1e300);
  if (!(hi > lo)) {  // a single value: give it some room
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double step = nice_number((hi - lo) / (ticks - 1));
  if (round_out) {
    lo = std::floor(lo / step + kFuzz) * step;
    hi = std::ceil(hi / step - kFuzz) * step;
  }
  return {lo, hi, step};
}

std::vector<double> tick_values(const Axis& a) {
  std::vector<double> out;
  const double first = std::ceil(a.lo / a.step - kFuzz);
  for (int i = 0; i < 100; ++i) {  // bounded: a range near the double limits has no finite step
    const double v = (first + i) * a.step;
    if (!std::isfinite(v) || v > a.hi + a.step * kFuzz) break;
    out.push_back(v);
  }
  return out;
}

// As few digits as the tick spacing needs; 5k, 10k, 15k on a step axis that reaches 10000.
std::string tick_label(double v, const Axis& a) {
  if (std::fabs(v) < a.step * 1e-6) v = 0;  // -1e-17 would print as -0.0
  const double reach = std::max(std::fabs(a.lo), std::fabs(a.hi));
  if (reach >= 1e6 && std::fmod(a.step, 1e5) == 0) return v == 0 ? "0" : format("%gM", v / 1e6);
  if (reach >= 1e4 && std::fmod(a.step, 100) == 0) return v == 0 ? "0" : format("%gk", v / 1e3);
  // Beyond a billion (a diverged loss), or below a millionth, plain digits stop helping.
  if (reach >= 1e9 || a.step < 1e-6) return format("%.3g", v);
  const int decimals = a.step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(a.step) - kFuzz));
  return format("%.*f", decimals, v);
}

std::string num(double v) { return format("%.1f", v); }

// Pixel centre of a 1 px line, so grid lines are crisp instead of two grey rows.
double crisp(double v) { return std::floor(v) + 0.5; }

// The chrome every plot shares: frame, grid, ticks and their labels, axis labels, title, legend.
class Frame {
 public:
  Frame(const PlotOptions& options, Axis x, Axis y)
      : o_(options),
        x_(x),
        y_(y),
        w_(options.width - kLeft - kRight),
        h_(options.height - kTop - kBottom) {}

  double px(double x) const { return kLeft + (x - x_.lo) / (x_.hi - x_.lo) * w_; }
  double py(double y) const { return kTop + (1 - (y - y_.lo) / (y_.hi - y_.lo)) * h_; }
  double bottom() const { return kTop + h_; }
  double clamp_y(double y) const { return std::clamp(y, y_.lo, y_.hi); }
  double clamp_x(double x) const { return std::clamp(x, x_.lo, x_.hi); }

  // Presentation attributes rather than CSS classes: the element renders the same anywhere.
  std::string open(const std::vector<std::string>& names) const {
    const int width = o_.width, height = o_.height;
    std::string s = format("<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"", width, height,
                           width, height) +
                    " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\"" +
                    " fill=\"#555\" role=\"img\" aria-label=\"" + escape_html(o_.title) + "\">\n" +
                    "<text x=\"" + num(kLeft) +
                    "\" y=\"20\" font-size=\"13\" font-weight=\"600\" " + "fill=\"#333\">" +
                    escape_html(o_.title) + "</text>\n";
    std::string grid, marks, y_labels, x_labels;
    for (double v : tick_values(y_)) {
      const std::string y = num(crisp(py(v)));
      grid += "<path d=\"M" + num(kLeft) + " " + y + "H" + num(kLeft + w_) + "\"/>";
      y_labels += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(py(v) + 4) + "\">" +
                  tick_label(v, y_) + "</text>";
    }
    for (double v : tick_values(x_)) {
      const std::string x = num(crisp(px(v)));
      marks += "<path d=\"M" + x + " " + num(crisp(bottom())) + "v5\"/>";
      x_labels +=
          "<text x=\"" + x + "\" y=\"" + num(bottom() + 18) + "\">" + tick_label(v, x_) + "</text>";
    }
    s += "<g stroke=\"#e6e6e6\">" + grid + "</g>\n";
    s += "<g stroke=\"#999\" fill=\"none\">" + marks + "<path d=\"M" + num(crisp(kLeft)) + " " +
         num(kTop) + "V" + num(crisp(bottom())) + "H" + num(kLeft + w_) + "\"/></g>\n";
    s += "<g text-anchor=\"end\">" + y_labels + "</g>\n";
    s += "<g text-anchor=\"middle\">" + x_labels + "<text x=\"" + num(kLeft + w_ / 2) + "\" y=\"" +
         num(height - 6.0) + "\" fill=\"#333\">" + escape_html(o_.x_label) + "</text></g>\n";
    if (!o_.y_label.empty())
      s += "<text transform=\"translate(15 " + num(kTop + h_ / 2) + ") rotate(-90)\" " +
           "text-anchor=\"middle\" fill=\"#333\">" + escape_html(o_.y_label) + "</text>\n";
    // Legend on the title's line, right-aligned; SVG cannot measure text, so estimate widths.
    double right = width - kRight;
    for (size_t i = names.size(); i-- > 0;) {
      const double x = std::round(right - 6.6 * static_cast<double>(names[i].size()) - 18);
      s += "<rect x=\"" + num(x) + "\" y=\"14\" width=\"14\" height=\"4\" fill=\"" + color(i) +
           "\"/><text x=\"" + num(x + 18) + "\" y=\"20\" fill=\"#333\">" + escape_html(names[i]) +
           "</text>\n";
      right = x - 14;
    }
    return s;
  }

  std::string no_data() const {
    return "<text x=\"" + num(kLeft + w_ / 2) + "\" y=\"" + num(kTop + h_ / 2) +
           "\" text-anchor=\"middle\">no data yet</text>\n";
  }

 private:
  static constexpr double kLeft = 62, kRight = 16, kTop = 34, kBottom = 42;
  PlotOptions o_;
  Axis x_, y_;
  double w_, h_;
};

// Two points (the min and the max) per bucket: plain striding would drop a one-step spike.
// Non-finite values split the line; runs of them collapse into one gap.
std::vector<Point> downsample(const PlotSeries& s, size_t max_points) {
  const size_t n = std::min(s.x.size(), s.y.size());
  std::vector<Point> out;
  auto add_gap = [&] {
    if (!out.empty() && out.back().finite()) out.push_back({kNaN, kNaN});
  };
  if (n <= max_points || max_points < 4) {
    for (size_t i = 0; i < n; ++i) {
      const Point p{s.x[i], s.y[i]};
      if (p.finite())
        out.push_back(p);
      else
        add_gap();
    }
    return out;
  }
  const size_t buckets = max_points / 2;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = b * n / buckets, end = (b + 1) * n / buckets;
    size_t lo = end, hi = end;  // indices of the min and max of the current finite run
    auto flush = [&] {
      if (lo == end) return;
      out.push_back({s.x[std::min(lo, hi)], s.y[std::min(lo, hi)]});
      if (hi != lo) out.push_back({s.x[std::max(lo, hi)], s.y[std::max(lo, hi)]});
      lo = hi = end;
    };
    for (size_t i = begin; i < end; ++i) {
      if (!Point{s.x[i], s.y[i]}.finite()) {
        flush();
        add_gap();
        continue;
      }
      if (lo == end || s.y[i] < s.y[lo]) lo = i;
      if (hi == end || s.y[i] > s.y[hi]) hi = i;
    }
    flush();
  }
  return out;
}

std::vector<std::string> names_of(const std::vector<PlotSeries>& series) {
  std::vector<std::string> names;
  for (const auto& s : series) names.push_back(s.name);
  return names;
}

// The box around the finite points of all lines.
struct Bounds {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;  // x_lo > x_hi: no finite point
};

Bounds bounds_of(const std::vector<std::vector<Point>>& lines) {
  Bounds b;
  for (const auto& line : lines)
    for (const auto& p : line)
      if (p.finite()) {
        b.x_lo = std::min(b.x_lo, p.x);
        b.x_hi = std::max(b.x_hi, p.x);
        b.y_lo = std::min(b.y_lo, p.y);
        b.y_hi = std::max(b.y_hi, p.y);
      }
  return b;
}

}  // namespace

std::string svg_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& options,
                          size_t max_points) {
  std::vector<std::vector<Point>> lines;
  for (const auto& s : series) lines.push_back(downsample(s, max_points));
  auto [x_lo, x_hi, y_lo, y_hi] = bounds_of(lines);
  const bool empty = x_lo > x_hi;
  if (empty) x_lo = x_hi = y_lo = y_hi = 0;
  // Steps usually start at the first log interval: show the axis from 0.
  if (x_lo > 0 && x_lo <= 0.1 * (x_hi - x_lo)) x_lo = 0;
  const Axis x = make_axis(options.x_min.value_or(x_lo), options.x_max.value_or(x_hi), 6,
                           options.x_min || options.x_max);
  const Axis y = make_axis(options.y_min.value_or(y_lo), options.y_max.value_or(y_hi), 5, true);
  const Frame frame(options, x, y);
  std::string s = frame.open(names_of(series));
  if (empty) s += frame.no_data();
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t finite = 0;
    for (const auto& p : lines[i]) finite += p.finite();
    const bool markers = finite <= 40;  // sparse series (eval every N steps): show each point
    std::string points, dots, last_x, last_y;
    size_t run = 0;  // points in the current unbroken stretch
    auto end_run = [&] {
      if (run >= 2)
        s += std::string("<polyline fill=\"none\" stroke=\"") + color(i) +
             "\" stroke-width=\"1.8\" stroke-linejoin=\"round\" points=\"" + points + "\"/>\n";
      else if (run == 1 && !markers)  // a lone point between gaps draws nothing as a line
        dots += "<circle cx=\"" + last_x + "\" cy=\"" + last_y + "\" r=\"2\"/>";
      points.clear();
      run = 0;
    };
    for (const auto& p : lines[i]) {
      if (!p.finite()) {
        end_run();
        continue;
      }
      last_x = num(frame.px(frame.clamp_x(p.x)));
      last_y = num(frame.py(frame.clamp_y(p.y)));
      points += (run++ ? " " : "") + last_x + "," + last_y;
      if (markers) dots += "<circle cx=\"" + last_x + "\" cy=\"" + last_y + "\" r=\"2.5\"/>";
    }
    end_run();
    if (!dots.empty()) s += std::string("<g fill=\"") + color(i) + "\">" + dots + "</g>\n";
  }
  return s + "</svg>";
}

std::string svg_bar_plot(const std::vector<PlotSeries>& series, const PlotOptions& options,
                         double bar_width) {
  std::vector<std::vector<Point>> bars;
  for (const auto& s : series)
    bars.push_back(downsample(s, std::numeric_limits<size_t>::max()));  // all
  auto [x_lo, x_hi, y_lo, y_hi] = bounds_of(bars);
  const bool empty = x_lo > x_hi;
  if (empty) x_lo = x_hi = y_hi = 0;
  const Axis x = make_axis(options.x_min.value_or(x_lo - bar_width / 2),
                           options.x_max.value_or(x_hi + bar_width / 2), 7, false);
  const Axis y =
      make_axis(options.y_min.value_or(0), options.y_max.value_or(std::max(y_hi, 1.0)), 5, true);
  const Frame frame(options, x, y);
  std::string s = frame.open(names_of(series));
  if (empty) s += frame.no_data();
  const double pixels = frame.px(x.lo + bar_width) - frame.px(x.lo);
  const double drawn = std::max(1.0, pixels - (pixels > 3 ? 1 : 0));  // a hairline between bars
  for (size_t i = 0; i < bars.size(); ++i) {
    s += std::string("<g fill=\"") + color(i) + "\">";
    for (const auto& p : bars[i]) {
      if (!p.finite() || p.y <= 0) continue;
      const double top = frame.py(frame.clamp_y(p.y));
      s += "<rect x=\"" + num(frame.px(p.x) - drawn / 2) + "\" y=\"" + num(top) + "\" width=\"" +
           num(drawn) + "\" height=\"" + num(frame.bottom() - top) + "\"/>";
    }
    s += "</g>\n";
  }
  return s + "</svg>";
}

}  // namespace gantrain
