#include "gantrain/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "gantrain/error.h"

namespace gantrain {
namespace {

std::string errno_text() { return std::strerror(errno); }

// fsync by path: std::ofstream exposes no descriptor.
void sync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw Error(path + ": cannot open to sync: " + errno_text());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Error(path + ": fsync failed: " + errno_text());
}

}  // namespace

void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  const std::string tmp = path + ".tmp";
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw Error(tmp + ": cannot open for writing: " + errno_text());
      errno = 0;
      try {
        fill(out);
      } catch (const Error&) {
        throw;
      } catch (const std::exception& e) {  // LibTorch's writer reports a failed write this way
        throw Error(tmp + ": write failed: " + first_line(e.what()) + " (" + errno_text() + ")");
      }
      out.flush();
      if (!out) throw Error(tmp + ": write failed: " + errno_text() + " (disk full?)");
    }
    sync_path(tmp, O_RDONLY);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw Error(path + ": cannot rename " + tmp + " over it: " + errno_text());
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  // Make the rename itself durable.
  std::string dir = std::filesystem::path(path).parent_path().string();
  sync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(bytes.data(), bytes.size()); });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading: " + errno_text());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(path + ": cannot read: " + errno_text());
  return bytes;
}

}  // namespace gantrain
