#pragma once
/// Whole files: crash-safe writes (a reader sees the old file or the new one, never a partial
/// one), and reads.
#include <functional>
#include <ostream>
#include <string>

namespace gantrain {

/// Writes `path` by calling `fill` on a stream to `path.tmp`, flushing it to disk, then renaming
/// it over `path`. Throws gantrain::Error naming `path` if any step fails; `path` is untouched then.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& fill);

/// Same, for bytes already in memory.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// The bytes of `path`; throws gantrain::Error "PATH: cannot open for reading: REASON" (or
/// "cannot read") if it cannot.
std::string read_file(const std::string& path);

}  // namespace gantrain
