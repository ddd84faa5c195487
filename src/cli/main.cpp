// gantrain's command line: parse, build the config (defaults < file < --set < flags),
// dispatch the subcommand, and turn every error into one line and an exit code.
#include <sys/prctl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
// Each --set is one value: cxxopts would otherwise split "model.g_hidden=256,512" at the comma.
#define CXXOPTS_VECTOR_DELIMITER '\0'
#include <cxxopts.hpp>
#include <iostream>
#include <optional>
#include <unistd.h>

#include "gantrain/build_info.h"
#include "gantrain/commands.h"
#include "gantrain/device.h"
#include "gantrain/distributed/launch.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/run_dir.h"

namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

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

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  stop_with_launcher();
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
    throw gantrain::ConfigError("--log-level '" + level +
                                "': expected one of: debug, info, warn, error, off");
  spdlog::set_level(parsed);
}

void add_log_file(const std::string& path) {
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
  file->set_pattern("[%Y-%m-%d %T] %v");
  spdlog::default_logger()->sinks().push_back(file);
}

// Parses `argv` with `options` and applies --log-level; a stray argument is a usage error that
// points at `command`'s --help.
cxxopts::ParseResult parse_arguments(cxxopts::Options& options, const std::string& command,
                                     int argc, const char* const* argv) {
  auto args = options.parse(argc, argv);
  if (!args.unmatched().empty())
    throw gantrain::ConfigError("unexpected argument '" + args.unmatched().front() + "' (see " +
                                command + " --help)");
  set_log_level(args["log-level"].as<std::string>());
  return args;
}

std::string usage_header() {
  std::string text =
      "gantrain " GANTRAIN_VERSION " - train small GANs (Goodfellow et al. 2014) with LibTorch\n\n"
      "usage: gantrain [train] [options]        train (the default subcommand)\n"
      "       gantrain sample --checkpoint RUN_DIR_OR_PT [--n 64] [--out grid.png]\n"
      "       gantrain eval --checkpoint RUN_DIR_OR_PT [--n 10000] [--metrics fid,is,modes,pr,parzen]\n"
      "       gantrain report RUN_DIR [--out report.html]\n\n"
      "tasks:\n";
  for (const auto& t : gantrain::task_summaries()) text += "  " + t + "\n";
  return text;
}

std::string keys_help(const gantrain::Config& defaults) {
  std::string text = "\nconfig keys (--set key=value or YAML sections; defaults of task '" +
                     defaults.task + "', see --task X --help for another):\n";
  for (const auto& k : gantrain::describe_keys(defaults)) {
    std::string left = "  " + k.key + " = " + (k.value.empty() ? "''" : k.value);
    text += left + std::string(left.size() < 42 ? 42 - left.size() : 1, ' ') + k.help + "\n";
  }
  return text;
}

// "model.key=value" lines: what a checkpoint's weights pin down.
std::string model_keys(const gantrain::Config& config) {
  std::string text;
  for (const auto& k : gantrain::describe_keys(config))
    if (k.key.rfind("model.", 0) == 0) text += k.key + "=" + k.value + "\n";
  return text;
}

// The launcher's own flags: its workers get every other argument.
bool is_launch_flag(const std::string& arg) {
  for (const char* flag : {"--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port"})
    if (arg == flag || arg.rfind(std::string(flag) + "=", 0) == 0) return true;
  return false;
}

// `gantrain --nproc N ...`: checks what a worker would (so a mistake is reported once, not N
// times), then starts the workers with the same arguments, less the launcher's own.
int launch(const cxxopts::ParseResult& args, const gantrain::Config& config, int argc,
           char** argv) {
  if (gantrain::distributed::worker_env_from_environment())
    throw gantrain::ConfigError("--nproc starts workers itself, but WORLD_SIZE is set (under "
                                "torchrun or another launcher): leave --nproc out");
  gantrain::distributed::LaunchOptions options;
  options.nproc = args["nproc"].as<int64_t>();
  options.nnodes = args["nnodes"].as<int64_t>();
  options.node_rank = args["node-rank"].as<int64_t>();
  options.master_addr = args["master-addr"].as<std::string>();
  options.master_port = args.count("master-port") ? args["master-port"].as<int64_t>()
                                                  : (options.nnodes > 1 ? 29500 : 0);
  options.timeout = std::chrono::seconds(config.train.dist_timeout);
  auto bad = [](const std::string& flag, int64_t value, int64_t low, int64_t high) {
    if (value < low || value > high)
      throw gantrain::ConfigError("--" + flag + " " + std::to_string(value) +
                                  ": expected an integer in [" + std::to_string(low) + ", " +
                                  std::to_string(high) + "]");
  };
  bad("nproc", options.nproc, 1, 1024);
  bad("nnodes", options.nnodes, 1, 65536);
  bad("node-rank", options.node_rank, 0, options.nnodes - 1);
  bad("master-port", options.master_port, args.count("master-port") ? 1 : 0, 65535);
  gantrain::validate_world_size(config, options.nproc * options.nnodes);
  std::vector<std::string> worker_args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!is_launch_flag(arg)) {
      worker_args.push_back(arg);
    } else if (arg.find('=') == std::string::npos) {
      ++i;  // the flag's value
    }
  }
  // Every worker writes under the same run directory: fix the name a default would time-stamp.
  worker_args.push_back("--set");
  worker_args.push_back("log.out=" + config.log.out);
  return gantrain::distributed::launch_workers(options, worker_args);
}

int run_train(int argc, char** argv) {
  cxxopts::Options options("gantrain", usage_header());
  options.custom_help("[train] [options]");
  // clang-format off
  options.add_options()
    ("task", "task to train (sets its defaults): even-bits, mnist", cxxopts::value<std::string>())
    ("c,config", "YAML config file (see configs/)", cxxopts::value<std::string>())
    ("set", "override a config key: section.key=value (repeatable)", cxxopts::value<std::vector<std::string>>())
    ("steps", "training steps (train.steps; clears train.epochs)", cxxopts::value<int64_t>())
    ("epochs", "passes over the data (train.epochs; clears train.steps)", cxxopts::value<int64_t>())
    ("batch-size", "samples per update (train.batch_size)", cxxopts::value<int64_t>())
    ("lr", "Adam learning rate of both networks (train.lr_g, train.lr_d)", cxxopts::value<std::string>())
    ("seed", "random seed (train.seed)", cxxopts::value<int64_t>())
    ("device", "cpu, cuda, cuda:N or auto (train.device)", cxxopts::value<std::string>())
    ("threads", "LibTorch threads, 0 = fast default (train.threads)", cxxopts::value<int64_t>())
    ("data-dir", "directory of MNIST-format IDX files (data.dir)", cxxopts::value<std::string>())
    ("dataset", "mnist or fashion-mnist (data.dataset)", cxxopts::value<std::string>())
    ("o,out", "run directory (log.out), default runs/<task>-<time>", cxxopts::value<std::string>())
    ("resume", "continue the run in this directory from its latest checkpoint", cxxopts::value<std::string>())
    ("nproc", "data-parallel: start N worker processes on this machine (docs/distributed.md)", cxxopts::value<int64_t>())
    ("nnodes", "data-parallel: machines taking part, each running --nproc workers", cxxopts::value<int64_t>()->default_value("1"))
    ("node-rank", "data-parallel: this machine's index, 0 to nnodes-1 (0 hosts the rendezvous)", cxxopts::value<int64_t>()->default_value("0"))
    ("master-addr", "data-parallel: address of machine 0", cxxopts::value<std::string>()->default_value("127.0.0.1"))
    ("master-port", "data-parallel: rendezvous port on machine 0; default any free port on one machine, 29500 on several", cxxopts::value<int64_t>())
    ("log-level", "debug, info, warn, error", cxxopts::value<std::string>()->default_value("info"))
    ("h,help", "this help, with every config key and its default")
    ("version", "print the version");
  // clang-format on
  auto args = parse_arguments(options, "gantrain", argc, argv);
  // A data-parallel worker: every line says which rank wrote it; ranks other than 0 show
  // warnings and errors only, unless --log-level says otherwise.
  if (auto worker = gantrain::distributed::worker_env_from_environment(); worker && worker->world_size > 1) {
    spdlog::default_logger()->set_pattern(fmt::format("[%T] [rank {}] %^%v%$", worker->rank));
    if (worker->rank > 0 && !args.count("log-level")) spdlog::set_level(spdlog::level::warn);
  }
  if (args.count("version")) {
    std::cout << "gantrain " GANTRAIN_VERSION " (" << gantrain::build_description() << ")\n";
    return 0;
  }

  // Settings in precedence order; the task named last wins and picks the defaults.
  std::vector<gantrain::Setting> settings;
  if (args.count("config")) settings = gantrain::read_config_file(args["config"].as<std::string>());
  if (args.count("set"))
    for (const auto& s : args["set"].as<std::vector<std::string>>())
      settings.push_back(gantrain::parse_set_argument(s));
  auto flag = [&](const char* name, const std::string& key) {
    if (!args.count(name)) return;
    std::string value = args[name].as<std::string>();
    settings.push_back({key, value, std::string("--") + name});
  };
  auto int_flag = [&](const char* name, const std::string& key) {
    if (args.count(name))
      settings.push_back({key, std::to_string(args[name].as<int64_t>()), std::string("--") + name});
  };
  flag("task", "task");
  int_flag("steps", "train.steps");
  if (args.count("steps")) settings.push_back({"train.epochs", "0", "--steps"});
  int_flag("epochs", "train.epochs");
  if (args.count("epochs")) settings.push_back({"train.steps", "0", "--epochs"});
  int_flag("batch-size", "train.batch_size");
  flag("lr", "train.lr_g");
  flag("lr", "train.lr_d");
  int_flag("seed", "train.seed");
  flag("device", "train.device");
  int_flag("threads", "train.threads");
  flag("data-dir", "data.dir");
  flag("dataset", "data.dataset");
  flag("out", "log.out");

  gantrain::TrainRequest request;
  gantrain::Config& config = request.config;
  gantrain::Config resumed;
  if (args.count("resume")) {
    gantrain::ResumePoint point = gantrain::find_resume_point(args["resume"].as<std::string>());
    request.resume_checkpoint = point.checkpoint;
    config = resumed = point.config;
  } else {
    config = gantrain::default_config(gantrain::task_named(settings, "even-bits"));
  }
  if (args.count("help")) {
    std::cout << options.help() << keys_help(config);
    return 0;
  }
  gantrain::apply_settings(config, settings);
  if (!request.resume_checkpoint.empty()) {
    // The checkpoint's weights fix the task and the architecture, and the loss fixes what
    // metrics.csv's columns mean; the rest may change.
    if (config.task != resumed.task || model_keys(config) != model_keys(resumed) ||
        config.train.loss != resumed.train.loss)
      throw gantrain::ConfigError("--resume " + request.resume_checkpoint +
                                  ": the task, model.* keys and train.loss of a run cannot change "
                                  "(it is a '" + resumed.task + "' run with train.loss " +
                                  resumed.train.loss + "); start a new run instead");
    config.log.out = gantrain::run_dir_of_checkpoint(request.resume_checkpoint);
  }
  gantrain::validate(config);
  if (config.log.out.empty()) config.log.out = gantrain::default_run_root(config.task);
  if (args.count("nproc")) return launch(args, config, argc, argv);
  for (const char* name : {"nnodes", "node-rank", "master-addr", "master-port"})
    if (args.count(name))
      throw gantrain::ConfigError(std::string("--") + name + " needs --nproc (workers per machine)");

  request.on_run_dir = [](const std::string& root) {
    add_log_file(gantrain::RunDir{root}.log_path());
  };
  install_signal_handlers();
  request.should_stop = [] { return g_stop_signal != 0; };
  gantrain::TrainResult result = gantrain::train(request);
  if (result.stopped) {
    const auto worker = gantrain::distributed::worker_env_from_environment();
    if (!worker || worker->rank == 0)
      spdlog::warn("interrupted after step {}; checkpoint written. Resume with: gantrain --resume {}{}",
                   result.steps_done, result.run_dir,
                   worker ? " and the same launch (--nproc, torchrun)" : "");
    return 128 + (g_stop_signal ? g_stop_signal : SIGINT);  // a rank stopped by the others' vote
  }
  return 0;
}

// argv with the documented --n spelled --num: cxxopts reads one-letter names as short options.
struct ArgvWithLongN {
  std::vector<std::string> args;
  std::vector<char*> pointers;
  ArgvWithLongN(int argc, char** argv) : args(argv, argv + argc) {
    for (auto& arg : args)
      if (arg == "--n" || arg.rfind("--n=", 0) == 0) arg = "--num" + arg.substr(3);
    for (auto& arg : args) pointers.push_back(arg.data());
  }
};

// The shared part of the subcommands that read a checkpoint (`sample`, `eval`): adds
// --checkpoint, --log-level and --help to `options`, parses (accepting --n), applies the log
// level. Returns nothing when --help was printed; throws ConfigError without --checkpoint.
std::optional<cxxopts::ParseResult> parse_checkpoint_command(cxxopts::Options& options,
                                                             const std::string& name, int argc,
                                                             char** argv) {
  // clang-format off
  options.add_options()
    ("checkpoint", "checkpoint file or run directory (uses checkpoints/latest.pt)", cxxopts::value<std::string>())
    ("log-level", "debug, info, warn, error", cxxopts::value<std::string>()->default_value("info"))
    ("h,help", "this help");
  // clang-format on
  ArgvWithLongN long_n(argc, argv);
  auto args = parse_arguments(options, name, argc, long_n.pointers.data());
  if (args.count("help")) {
    std::cout << options.help();
    return std::nullopt;
  }
  if (!args.count("checkpoint"))
    throw gantrain::ConfigError(name + ": --checkpoint RUN_DIR_OR_PT is required");
  return args;
}

int run_sample(int argc, char** argv) {
  cxxopts::Options options("gantrain sample", "Draw samples from a trained generator.\n");
  // clang-format off
  options.add_options()
    ("n,num", "number of samples (also --n)", cxxopts::value<int64_t>()->default_value("64"))
    ("nrow", "images per grid row", cxxopts::value<int64_t>()->default_value("8"))
    ("seed", "noise seed", cxxopts::value<int64_t>()->default_value("0"))
    ("o,out", "output PNG (image tasks); even-bits prints the integers when omitted", cxxopts::value<std::string>())
    ("scale", "image grids: draw each pixel as KxK pixels (nearest neighbour), 1-16", cxxopts::value<int64_t>()->default_value("1"))
    ("raw-generator", "sample G itself even where the run kept its EMA (train.ema_decay)")
    ("device", "cpu, cuda, cuda:N or auto", cxxopts::value<std::string>()->default_value("cpu"));
  // clang-format on
  auto parsed = parse_checkpoint_command(options, "gantrain sample", argc, argv);
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  gantrain::SampleRequest request;
  request.checkpoint = args["checkpoint"].as<std::string>();
  request.n = args["num"].as<int64_t>();
  request.nrow = args["nrow"].as<int64_t>();
  request.seed = args["seed"].as<int64_t>();
  request.scale = args["scale"].as<int64_t>();
  request.device = args["device"].as<std::string>();
  request.raw_generator = args.count("raw-generator") > 0;
  if (args.count("out")) request.out = args["out"].as<std::string>();
  if (request.n < 1 || request.nrow < 1)
    throw gantrain::ConfigError("gantrain sample: --n and --nrow must be >= 1");
  if (request.scale < 1 || request.scale > gantrain::kMaxGridScale)
    throw gantrain::ConfigError("gantrain sample: --scale " + std::to_string(request.scale) +
                                ": expected an integer in [1, " +
                                std::to_string(gantrain::kMaxGridScale) + "]");
  std::string text = gantrain::sample(request);
  if (!text.empty()) std::cout << text << "\n";
  if (!request.out.empty()) spdlog::info("wrote {} samples to {}", request.n, request.out);
  return 0;
}

int run_eval(int argc, char** argv) {
  cxxopts::Options options(
      "gantrain eval",
      "Measure a trained generator's samples (docs/metrics.md); writes eval.json in the run "
      "directory.\nmnist metric groups: fid, is, modes, pr, parzen. even-bits: even, modes, kl.\n");
  // clang-format off
  options.add_options()
    ("n,num", "generated samples (also --n); default: the run's eval.samples (10000)", cxxopts::value<int64_t>())
    ("metrics", "metric groups, comma-separated, or all; default: the run's eval.metrics", cxxopts::value<std::string>())
    ("seed", "noise seed; default: the one training-time evaluation uses (train.seed + 1)", cxxopts::value<int64_t>())
    ("data-dir", "real data directory; default: the run's", cxxopts::value<std::string>())
    ("raw-generator", "measure G itself even where the run kept its EMA (train.ema_decay)")
    ("device", "cpu, cuda, cuda:N or auto", cxxopts::value<std::string>()->default_value("auto"));
  // clang-format on
  auto parsed = parse_checkpoint_command(options, "gantrain eval", argc, argv);
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  gantrain::EvalRequest request;
  request.checkpoint = args["checkpoint"].as<std::string>();
  if (args.count("num")) request.n = args["num"].as<int64_t>();
  if (args.count("num") && (request.n < 10 || request.n > 1000000))
    throw gantrain::ConfigError("gantrain eval: --n " + std::to_string(request.n) +
                                ": expected an integer in [10, 1000000]");
  if (args.count("metrics")) request.metrics = args["metrics"].as<std::string>();
  if (args.count("seed")) request.seed = args["seed"].as<int64_t>();
  if (args.count("seed") && request.seed < 0)
    throw gantrain::ConfigError("gantrain eval: --seed must be >= 0");
  if (args.count("data-dir")) request.data_dir = args["data-dir"].as<std::string>();
  request.device = args["device"].as<std::string>();
  request.raw_generator = args.count("raw-generator") > 0;
  std::cout << gantrain::evaluate(request) << std::flush;
  return 0;
}

int run_report(int argc, char** argv) {
  cxxopts::Options options("gantrain report",
                           "Write one self-contained HTML page showing a run: config, curves, "
                           "eval metrics, sample grids, facts.\n");
  options.custom_help("[--out FILE]").positional_help("RUN_DIR");
  // clang-format off
  options.add_options()
    ("run_dir", "the run directory", cxxopts::value<std::string>())
    ("o,out", "HTML file to write (default RUN_DIR/report.html)", cxxopts::value<std::string>())
    ("log-level", "debug, info, warn, error", cxxopts::value<std::string>()->default_value("info"))
    ("h,help", "this help");
  // clang-format on
  options.parse_positional({"run_dir"});
  auto args = parse_arguments(options, "gantrain report", argc, argv);
  if (args.count("help")) {
    std::cout << options.help({""});
    return 0;
  }
  if (!args.count("run_dir")) throw gantrain::ConfigError("gantrain report: RUN_DIR is required");
  gantrain::ReportRequest request;
  request.run_dir = args["run_dir"].as<std::string>();
  if (args.count("out")) request.out = args["out"].as<std::string>();
  spdlog::info("wrote {}", gantrain::report(request));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gantrain::tune_allocator();
  setup_logging();
  std::string command = argc > 1 && argv[1][0] != '-' ? argv[1] : "train";
  const bool named = argc > 1 && argv[1][0] != '-';
  try {
    if (command == "train") return run_train(argc - named, argv + named);
    if (command == "sample") return run_sample(argc - 1, argv + 1);
    if (command == "eval") return run_eval(argc - 1, argv + 1);
    if (command == "report") return run_report(argc - 1, argv + 1);
    throw gantrain::ConfigError("unknown subcommand '" + command +
                                "' (expected train, sample, eval or report)");
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
