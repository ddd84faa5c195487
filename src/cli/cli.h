#pragma once
// The command line's parts (DESIGN.md section 1: only src/cli/ includes cxxopts). main.cpp
// dispatches to one function per subcommand; each parses its own flags.
#include <cstdint>
#include <string>

// Each --set is one value: cxxopts would otherwise split "model.g_hidden=256,512" at the comma.
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>

namespace gantrain::cli {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

/// The --log-level flag's help: its values.
constexpr const char* kLogLevelHelp = "debug, info, warn, error or off";

/// Parses `argv` with `options` and applies --log-level. A stray argument, or a flag whose value
/// is another flag (`--steps --out X`), is a usage error that points at `command`'s --help.
cxxopts::ParseResult parse_arguments(cxxopts::Options& options, const std::string& command,
                                     int argc, const char* const* argv);

/// The value of integer flag --`name` (declared as text, so that a bad value names the flag):
/// throws ConfigError "--name x: expected an integer in [low, high]".
int64_t int_flag(const cxxopts::ParseResult& args, const std::string& name, int64_t low,
                 int64_t high);

/// Adds the run's train.log to the logger; every line is flushed as it is written.
void add_log_file(const std::string& path);

/// Ctrl-C, SIGTERM, SIGHUP: the first asks the run to stop after its step (with a checkpoint),
/// the second exits at once. A worker of `gantrain --nproc` also stops with its launcher.
void install_signal_handlers();

/// The signal that asked the run to stop; 0 while none has.
int stop_signal();

int run_train(int argc, char** argv);
int run_sample(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_report(int argc, char** argv);
int run_export(int argc, char** argv);

}  // namespace gantrain::cli
