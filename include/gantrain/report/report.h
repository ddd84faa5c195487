#pragma once
/// `gantrain report`: one self-contained HTML page that shows a run at a glance.
#include <string>

namespace gantrain {

/// The report of the run in `run_dir`: config, loss and D(x)/D(G(z)) curves, eval metrics over
/// steps, the sample grids as a timeline, the final eval table and the run's facts; for
/// even-bits the histogram of the latest samples. No network, scripts, fonts or external images.
/// Works on a run that is still going or was interrupted; a part whose files are missing or
/// damaged is replaced by a line that says so. Throws gantrain::Error when `run_dir` is not a
/// directory or holds neither config.yaml nor metrics.csv.
std::string build_report(const std::string& run_dir);

}  // namespace gantrain
