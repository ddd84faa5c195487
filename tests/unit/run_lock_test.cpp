// One writer per run directory: the lock is held for the writer's life and released with it.
#include <unistd.h>

#include <optional>

#include "gantrain/error.h"
#include "gantrain/io/run_lock.h"
#include "expect_throw.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

using RunLockTest = testing_support::TempDirTest;

TEST_F(RunLockTest, ASecondWriterIsRefusedNamingTheFirst) {
  const std::string run = path("run");  // created by the lock
  std::optional<RunLock> first;
  first.emplace(run);
  EXPECT_THROW_MSG(RunLock second(run), Error,
                   run + " is in use by gantrain process " + std::to_string(::getpid()) +
                       ", which is training it");
  first.reset();
  RunLock again(run);  // released with its holder: no stale lock
}

TEST_F(RunLockTest, AnUnwritableRootIsAnError) {
  EXPECT_THROW_MSG(RunLock lock("/proc/gantrain_no_such_run"), Error, "/proc/gantrain_no_such_run");
}

}  // namespace
}  // namespace gantrain
