#pragma once
/// Line and bar plots as inline SVG, for the HTML report.
#include <optional>
#include <string>
#include <vector>

namespace gantrain {

/// One line (or bar group) of a plot: y over x, same length; non-finite points are gaps.
struct PlotSeries {
  std::string name;  ///< legend entry
  std::vector<double> x, y;
};

/// Labels, size and (optionally) fixed axis ranges of a plot.
struct PlotOptions {
  std::string title;
  std::string x_label = "step";
  std::string y_label;
  int width = 560, height = 300;       ///< pixels
  std::optional<double> x_min, x_max;  ///< fixed x range; unset: from the data
  std::optional<double> y_min, y_max;  ///< fixed y range; unset: from the data, rounded out
};

/// An <svg> element: axes with "nice" ticks and tick labels, axis labels, one polyline per
/// series in a fixed palette, and a legend. Series longer than `max_points` are downsampled
/// (min and max of each bucket kept, so spikes survive).
std::string svg_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& options,
                          size_t max_points = 1000);

/// An <svg> bar chart with the same axes, palette and legend: one bar `bar_width` wide (in x
/// units) centred on each x, y high; for histograms.
std::string svg_bar_plot(const std::vector<PlotSeries>& series, const PlotOptions& options,
                         double bar_width = 1.0);

}  // namespace gantrain
