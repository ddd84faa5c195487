#pragma once
/// The training clock of one session: time since it started, and training speed over the
/// interval since the last metrics row, with the time spent measuring and writing left out.
#include <chrono>
#include <cstdint>

namespace gantrain {

class IntervalClock {
 public:
  /// Starts now, with an interval beginning at `step`.
  explicit IntervalClock(int64_t step) : interval_step_(step) {}

  /// Seconds since the clock started.
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  /// Training steps per second since the interval began, reaching `step` now.
  double steps_per_second(int64_t step) const {
    const double seconds = elapsed() - interval_start_;
    return static_cast<double>(step - interval_step_) / (seconds > 1e-9 ? seconds : 1e-9);
  }
  /// Begins the next interval now, at `step`.
  void restart(int64_t step) {
    interval_step_ = step;
    interval_start_ = elapsed();
  }
  /// Runs `work` outside the interval: its time does not count as training time.
  template <class Work>
  void untimed(Work&& work) {
    const double begin = elapsed();
    work();
    interval_start_ += elapsed() - begin;
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int64_t interval_step_;
  double interval_start_ = 0;
};

}  // namespace gantrain
