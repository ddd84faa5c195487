// gantrain's command line: set up logging, dispatch the subcommand, and turn every error into
// one line and an exit code.
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "cli/cli.h"
#include "gantrain/device.h"
#include "gantrain/error.h"

namespace gantrain::cli {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_signal(int sig) {
  // First Ctrl-C: finish the step and checkpoint. Second: leave now.
  if (g_stop_signal != 0) _exit(128 + sig);
  g_stop_signal = sig;
}

// A worker of `gantrain --nproc`: it must not outlive its launcher (killed, or its terminal
// closed), so the kernel sends it SIGTERM, a clean stop with a checkpoint, when the launcher dies.
void stop_with_launcher() {
  const char* launcher = std::getenv("GANTRAIN_LAUNCHER_PID");
  if (!launcher) return;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (std::to_string(getppid()) != launcher) raise(SIGTERM);  // it died before prctl
}

// Before argument parsing, so even a bad flag is reported in the same format.
void setup_logging() {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("gantrain", console);
  logger->set_pattern("[%T] %^%v%$");
  spdlog::set_default_logger(logger);
}

void set_log_level(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw ConfigError("--log-level '" + level + "': expected one of: debug, info, warn, error, off");
  spdlog::set_level(parsed);
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  // A rank writing to a peer that died gets EPIPE, which c10d turns into an error naming the
  // lost rank; the default SIGPIPE would kill it without a word.
  std::signal(SIGPIPE, SIG_IGN);
  stop_with_launcher();
}

int stop_signal() { return g_stop_signal; }

void add_log_file(const std::string& path) {
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
  file->set_pattern("[%Y-%m-%d %T] %v");
  spdlog::default_logger()->sinks().push_back(file);
  // A line at a time: a killed run leaves its log up to its last line (docs/robustness.md).
  spdlog::default_logger()->flush_on(spdlog::level::trace);
}

cxxopts::ParseResult parse_arguments(cxxopts::Options& options, const std::string& command,
                                     int argc, const char* const* argv) {
  auto args = options.parse(argc, argv);
  // cxxopts takes the next argument as a flag's value even when it is another flag.
  for (const auto& kv : args.arguments())
    if (kv.value().rfind("--", 0) == 0)
      throw ConfigError("--" + kv.key() + ": expected a value, got the flag '" + kv.value() +
                        "' (see " + command + " --help)");
  if (!args.unmatched().empty())
    throw ConfigError("unexpected argument '" + args.unmatched().front() + "' (see " + command +
                      " --help)");
  set_log_level(args["log-level"].as<std::string>());
  return args;
}

int64_t int_flag(const cxxopts::ParseResult& args, const std::string& name, int64_t low,
                 int64_t high) {
  const std::string text = args[name].as<std::string>();
  size_t end = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  // --n is parsed as --num (cxxopts reads one-letter names as short options).
  const std::string shown = name == "num" ? "n" : name;
  if (text.empty() || end != text.size() || value < low || value > high)
    throw ConfigError("--" + shown + " " + text + ": expected an integer in [" +
                      std::to_string(low) + ", " + std::to_string(high) + "]");
  return value;
}

}  // namespace gantrain::cli

int main(int argc, char** argv) {
  using namespace gantrain::cli;
  gantrain::use_vector_openblas_kernels(argv);
  gantrain::tune_allocator();
  setup_logging();
  const bool named = argc > 1 && argv[1][0] != '-';
  const std::string command = named ? argv[1] : "train";
  try {
    if (command == "train") return run_train(argc - named, argv + named);
    if (command == "sample") return run_sample(argc - 1, argv + 1);
    if (command == "eval") return run_eval(argc - 1, argv + 1);
    if (command == "report") return run_report(argc - 1, argv + 1);
    if (command == "export") return run_export(argc - 1, argv + 1);
    throw gantrain::ConfigError("unknown subcommand '" + command +
                                "' (expected train, sample, eval, report or export)");
  } catch (const cxxopts::exceptions::exception& e) {
    spdlog::error("error: {} (see gantrain --help)", e.what());
    return kExitUsage;
  } catch (const gantrain::ConfigError& e) {
    spdlog::error("error: {}", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("error: {}", gantrain::first_line(e.what()));
    return kExitRuntime;
  }
}
