// Crash-safe whole-file writes: the old file or the new one, never a part, and no temporaries.
#include "gantrain/io/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "expect_throw.h"
#include "gantrain/error.h"
#include "temp_dir.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

using ::testing_support::read_text;

class AtomicFileTest : public ::testing_support::TempDirTest {
 protected:
  // The names in the test's directory.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    return out;
  }
};

TEST_F(AtomicFileTest, ReplacesTheWholeFileAndLeavesNoTemporary) {
  const std::string file = path("f.txt");
  write_file_atomic(file, std::string("a long first version\n"));
  write_file_atomic(file, [](std::ostream& out) { out << "short"; });
  EXPECT_EQ(read_text(file), "short");
  write_file_atomic(file, std::string("x\0y", 3));
  EXPECT_EQ(read_text(file), std::string("x\0y", 3));
  EXPECT_EQ(names(), std::vector<std::string>{"f.txt"});
}

TEST_F(AtomicFileTest, AFailingWriterLeavesTheOldFileAndNamesThePath) {
  const std::string file = path("f.txt");
  write_file_atomic(file, std::string("old"));
  // An exception of the writer's own, as LibTorch's archive writer throws them.
  auto half_then_throw = [](std::ostream& out) {
    out << "half of the new";
    throw std::runtime_error("disk on fire");
  };
  EXPECT_THROW_MSG(write_file_atomic(file, half_then_throw), Error,
                   file + ".tmp: write failed: disk on fire");
  EXPECT_EQ(read_text(file), "old");
  EXPECT_EQ(names(), std::vector<std::string>{"f.txt"});

  // A stream that went bad (a full disk): no exception from the writer itself.
  auto bad_stream = [](std::ostream& out) { out.setstate(std::ios::badbit); };
  EXPECT_THROW_MSG(write_file_atomic(file, bad_stream), Error, file + ".tmp: write failed: ");
  // A gantrain::Error of the writer passes as it is.
  auto gantrain_error = [](std::ostream&) { throw Error("the writer's own message"); };
  EXPECT_THROW_MSG(write_file_atomic(file, gantrain_error), Error, "the writer's own message");
  EXPECT_EQ(read_text(file), "old");
  EXPECT_EQ(names(), std::vector<std::string>{"f.txt"});
}

TEST_F(AtomicFileTest, AnUnwritableDirectoryOrTargetThrowsNamingThePath) {
  const std::string missing = path("no/such/dir/f.txt");
  EXPECT_THROW_MSG(write_file_atomic(missing, std::string("x")), Error,
                   missing + ".tmp: cannot open for writing: ");
  std::ofstream(path("a_file")) << "not a directory";
  EXPECT_THROW_MSG(write_file_atomic(path("a_file/f.txt"), std::string("x")), Error,
                   path("a_file/f.txt") + ".tmp: cannot open for writing: ");
  // The rename fails when a directory is in the way: the temporary goes, the directory stays.
  fs::create_directory(path("d"));
  EXPECT_THROW_MSG(write_file_atomic(path("d"), std::string("x")), Error,
                   path("d") + ": cannot rename " + path("d") + ".tmp over it: ");
  EXPECT_TRUE(fs::is_directory(path("d")));
  EXPECT_FALSE(fs::exists(path("d.tmp")));
}

TEST_F(AtomicFileTest, ReadFileGivesTheBytesOrAnErrorNamingThePath) {
  write_file_atomic(path("f"), std::string("a\0b\n", 4));
  EXPECT_EQ(read_file(path("f")), std::string("a\0b\n", 4));
  EXPECT_THROW_MSG(read_file(path("none")), Error, path("none") + ": cannot open for reading: ");
}

}  // namespace
}  // namespace gantrain
