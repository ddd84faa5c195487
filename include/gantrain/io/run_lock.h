#pragma once
/// One writer per run directory: an advisory lock (flock) on RUN/.lock, held while a process
/// trains the run. The kernel releases it when the process ends, however it ends, so a killed
/// run leaves no stale lock; readers (sample, eval, report) take none, since every file is
/// replaced atomically.
#include <string>

namespace gantrain {

class RunLock {
 public:
  /// Creates `root` if needed and takes its lock; throws gantrain::Error naming the process
  /// that holds it ("ROOT is in use by gantrain process 1234 ...").
  explicit RunLock(const std::string& root);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace gantrain
