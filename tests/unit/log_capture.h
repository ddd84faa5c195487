#pragma once
// LogCapture: what the library logs through spdlog, as text a test can search (no LibTorch).
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace testing_support {

/// While it lives, spdlog's default logger writes each message, without time or level, as one
/// line into a string; the logger before it comes back at the end.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    auto logger = std::make_shared<spdlog::logger>("log_capture", std::move(sink));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// Everything logged so far, a line each.
  std::string text() const { return out_.str(); }
  /// Forgets what was logged so far.
  void clear() { out_.str(""); }

 private:
  std::ostringstream out_;  // the sink writes here until the destructor drops its logger
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace testing_support
