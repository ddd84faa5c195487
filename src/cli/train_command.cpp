// `gantrain [train]`: the training flags, the config they resolve to (built-in defaults < file <
// --set < flags), the data-parallel launcher, and the run with its stop signals.
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/cli.h"
#include "gantrain/build_info.h"
#include "gantrain/commands.h"
#include "gantrain/distributed/launch.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/run_dir.h"

namespace gantrain::cli {
namespace {

namespace fs = std::filesystem;

std::string usage_header() {
  std::string text =
      "gantrain " GANTRAIN_VERSION " - train small GANs (Goodfellow et al. 2014) with LibTorch\n\n"
      "subcommands (each with its own --help):\n"
      "  train    train a run (the default: gantrain --task even-bits)\n"
      "  sample   draw samples from a run's generator (--checkpoint RUN; --out FILE for images)\n"
      "  eval     measure a run's samples (--checkpoint RUN; writes RUN/eval.json)\n"
      "  report   write a run's HTML page (RUN_DIR; writes RUN_DIR/report.html)\n"
      "  export   write a run's generator for PyTorch/LibTorch (--checkpoint RUN; RUN/generator.pt)\n\n"
      "tasks:\n";
  for (const auto& t : task_summaries()) text += "  " + t + "\n";
  return text;
}

std::string keys_help(const Config& defaults) {
  std::string text = "\nconfig keys (--set key=value or YAML sections; defaults of task '" +
                     defaults.task + "', see --task X --help for another):\n";
  for (const auto& k : describe_keys(defaults)) {
    std::string left = "  " + k.key + " = " + (k.value.empty() ? "''" : k.value);
    text += left + std::string(left.size() < 42 ? 42 - left.size() : 1, ' ') + k.help + "\n";
  }
  return text;
}

cxxopts::Options train_options() {
  cxxopts::Options options("gantrain", usage_header());
  options.custom_help("[train] [options]");
  auto text = [] { return cxxopts::value<std::string>(); };
  // clang-format off
  options.add_options()
    ("task", "task to train (sets its defaults): " + task_names(), text())
    ("c,config", "YAML config file (see configs/)", text())
    ("set", "override a config key: section.key=value (repeatable)", cxxopts::value<std::vector<std::string>>())
    ("steps", "training steps (train.steps; clears train.epochs)", text())
    ("epochs", "passes over the data (train.epochs; clears train.steps)", text())
    ("batch-size", "samples per update (train.batch_size)", text())
    ("lr", "Adam learning rate of both networks (train.lr_g, train.lr_d)", text())
    ("seed", "random seed (train.seed)", text())
    ("device", "cpu, cuda, cuda:N or auto (train.device)", text())
    ("threads", "LibTorch threads, 0 = fast default (train.threads)", text())
    ("data-dir", "data: MNIST-format IDX files (mnist), or a folder of pictures, sub-folders as classes (images) (data.dir)", text())
    ("resolution", "images: side of the square images trained on, default 32 (data.resolution)", text())
    ("dataset", "mnist or fashion-mnist (data.dataset)", text())
    ("o,out", "run directory (log.out), default runs/<task>-<time>", text())
    ("resume", "continue the run in this directory (or from this checkpoint file)", text())
    ("nproc", "data-parallel: start N worker processes on this machine (docs/distributed.md)", text())
    ("nnodes", "data-parallel: machines taking part, each running --nproc workers", text()->default_value("1"))
    ("node-rank", "data-parallel: this machine's index, 0 to nnodes-1 (0 hosts the rendezvous)", text()->default_value("0"))
    ("master-addr", "data-parallel: address of machine 0", text()->default_value("127.0.0.1"))
    ("master-port", "data-parallel: rendezvous port on machine 0; default any free port on one machine, 29500 on several", text())
    ("log-level", kLogLevelHelp, text()->default_value("info"))
    ("h,help", "this help, with every config key and its default")
    ("version", "print the version");
  // clang-format on
  return options;
}

// A config file's settings. A run's own saved config.yaml names that run's directory as
// log.out: repeating the run from it (docs/config.md) must not take the old run's directory.
std::vector<Setting> config_file_settings(const std::string& path) {
  std::vector<Setting> settings = read_config_file(path);
  const fs::path dir = fs::path(path).parent_path();
  std::error_code ec;
  if (!fs::exists(RunDir{dir.string()}.run_info_path(), ec)) return settings;
  for (auto it = settings.begin(); it != settings.end();)
    if (it->key == "log.out") {
      spdlog::info("{} is the saved config of the run in {}: the new run gets a directory of "
                   "its own (--out to name it)", path, dir.empty() ? "." : dir.string());
      it = settings.erase(it);
    } else {
      ++it;
    }
  return settings;
}

// A preset is tuned to the task it names: another task on top of it is refused.
void check_task_of_file(const std::vector<Setting>& file, const std::vector<Setting>& later) {
  const Setting* file_task = nullptr;
  for (const auto& s : file)
    if (s.key == "task") file_task = &s;
  if (!file_task) return;
  for (const auto& s : later)
    if (s.key == "task" && s.value != file_task->value)
      throw ConfigError(s.origin + ": task " + s.value + " differs from " + file_task->origin +
                        ", which sets task " + file_task->value + " for the keys tuned to it: "
                        "leave the task out, or use a config written for " + s.value);
}

// Settings in precedence order: the config file, --set, the flags; the task named last wins.
std::vector<Setting> settings_of(const cxxopts::ParseResult& args) {
  std::vector<Setting> file, later;
  if (args.count("config")) file = config_file_settings(args["config"].as<std::string>());
  if (args.count("set"))
    for (const auto& s : args["set"].as<std::vector<std::string>>())
      later.push_back(parse_set_argument(s));
  auto flag = [&](const char* name, const std::string& key) {
    if (args.count(name)) later.push_back({key, args[name].as<std::string>(), std::string("--") + name});
  };
  flag("task", "task");
  flag("steps", "train.steps");
  if (args.count("steps")) later.push_back({"train.epochs", "0", "--steps"});
  flag("epochs", "train.epochs");
  if (args.count("epochs")) later.push_back({"train.steps", "0", "--epochs"});
  flag("batch-size", "train.batch_size");
  flag("lr", "train.lr_g");
  flag("lr", "train.lr_d");
  flag("seed", "train.seed");
  flag("device", "train.device");
  flag("threads", "train.threads");
  flag("data-dir", "data.dir");
  flag("dataset", "data.dataset");
  flag("resolution", "data.resolution");
  flag("out", "log.out");
  check_task_of_file(file, later);
  file.insert(file.end(), later.begin(), later.end());
  return file;
}

// The checkpoint's weights fix the task and the architecture, and the loss fixes what
// metrics.csv's columns mean; the rest may change. Names each key that would change.
void check_resume_keeps(const Config& config, const Config& resumed, const std::string& from) {
  const std::vector<KeyInfo> now = describe_keys(config), then = describe_keys(resumed);
  std::string changed;
  for (size_t i = 0; i < now.size(); ++i) {
    const std::string& key = now[i].key;
    // data.resolution, data.channels and data.classes fix the models' shapes too.
    const bool fixed = key == "task" || key == "train.loss" || key.rfind("model.", 0) == 0 ||
                       key == "data.resolution" || key == "data.channels" ||
                       key == "data.classes";
    if (fixed && now[i].value != then[i].value)
      changed += (changed.empty() ? "" : ", ") + key + " (" + then[i].value + " in the run, " +
                 now[i].value + " now)";
  }
  if (!changed.empty())
    throw ConfigError("--resume " + from + ": " + changed + ": the task, model.* keys, "
                      "data.resolution, data.channels, data.classes and train.loss of a run cannot change; start a "
                      "new run instead");
}

// A resumed run goes on in its own directory: another one named by --out or log.out is refused
// rather than ignored.
void check_resume_directory(const std::vector<Setting>& settings, const std::string& run_dir) {
  std::error_code ec;
  for (const auto& s : settings)
    if (s.key == "log.out" && !s.value.empty() && !fs::equivalent(s.value, run_dir, ec))
      throw ConfigError(s.origin + ": log.out = '" + s.value + "': a resumed run goes on in its "
                        "own directory " + run_dir + "; to branch it, copy that directory and "
                        "resume the copy");
}

TrainRequest train_request(const cxxopts::ParseResult& args, const std::vector<Setting>& settings) {
  TrainRequest request;
  Config& config = request.config;
  if (!args.count("resume")) {
    config = default_config(task_named(settings, "even-bits"));
    apply_settings(config, settings);
  } else {
    const ResumePoint point = find_resume_point(args["resume"].as<std::string>());
    request.resume_checkpoint = point.checkpoint;
    config = point.config;
    apply_settings(config, settings);
    check_resume_keeps(config, point.config, point.checkpoint);
    config.log.out = run_dir_of_checkpoint(point.checkpoint);
    check_resume_directory(settings, config.log.out);
  }
  validate(config);
  if (config.log.out.empty()) config.log.out = default_run_root(config.task);
  return request;
}

// The launcher's own flags: its workers get every other argument.
bool is_launch_flag(const std::string& arg) {
  for (const char* flag : {"--nproc", "--nnodes", "--node-rank", "--master-addr", "--master-port"})
    if (arg == flag || arg.rfind(std::string(flag) + "=", 0) == 0) return true;
  return false;
}

// `gantrain --nproc N ...`: checks what a worker would (so a mistake is reported once, not N
// times), then starts the workers with the same arguments, less the launcher's own.
int launch(const cxxopts::ParseResult& args, const Config& config, int argc, char** argv) {
  if (distributed::worker_env_from_environment())
    throw ConfigError("--nproc starts workers itself, but WORLD_SIZE is set (under torchrun or "
                      "another launcher): leave --nproc out");
  distributed::LaunchOptions options;
  options.nproc = int_flag(args, "nproc", 1, 1024);
  options.nnodes = int_flag(args, "nnodes", 1, 65536);
  options.node_rank = int_flag(args, "node-rank", 0, options.nnodes - 1);
  options.master_addr = args["master-addr"].as<std::string>();
  options.master_port = args.count("master-port") ? int_flag(args, "master-port", 1, 65535)
                                                  : (options.nnodes > 1 ? 29500 : 0);
  options.timeout = std::chrono::seconds(config.train.dist_timeout);
  validate_world_size(config, options.nproc * options.nnodes);
  std::vector<std::string> worker_args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!is_launch_flag(arg))
      worker_args.push_back(arg);
    else if (arg.find('=') == std::string::npos)
      ++i;  // the flag's value
  }
  // Every worker writes under the same run directory: fix the name a default would time-stamp.
  worker_args.push_back("--set");
  worker_args.push_back("log.out=" + config.log.out);
  return distributed::launch_workers(options, worker_args);
}

// Trains in this process; Ctrl-C stops after the step with a checkpoint.
int train_here(TrainRequest& request) {
  request.on_run_dir = [](const std::string& root) { add_log_file(RunDir{root}.log_path()); };
  install_signal_handlers();
  request.should_stop = [] { return stop_signal() != 0; };
  const TrainResult result = train(request);
  if (!result.stopped) return 0;
  const auto worker = distributed::worker_env_from_environment();
  if (!worker || worker->rank == 0)
    spdlog::warn("interrupted after step {}; checkpoint written. Resume with: gantrain --resume {}{}",
                 result.steps_done, result.run_dir,
                 worker ? " and the same launch (--nproc, torchrun)" : "");
  return 128 + (stop_signal() ? stop_signal() : SIGINT);  // a rank stopped by the others' vote
}

// A data-parallel worker: every line says which rank wrote it; ranks other than 0 show
// warnings and errors only, unless --log-level says otherwise.
void label_worker_logs(const cxxopts::ParseResult& args) {
  const auto worker = distributed::worker_env_from_environment();
  if (!worker || worker->world_size <= 1) return;
  spdlog::default_logger()->set_pattern(fmt::format("[%T] [rank {}] %^%v%$", worker->rank));
  if (worker->rank > 0 && !args.count("log-level")) spdlog::set_level(spdlog::level::warn);
}

}  // namespace

int run_train(int argc, char** argv) {
  cxxopts::Options options = train_options();
  const auto args = parse_arguments(options, "gantrain", argc, argv);
  label_worker_logs(args);
  if (args.count("version")) {
    std::cout << "gantrain " GANTRAIN_VERSION " (" << build_description() << ")\n";
    return 0;
  }
  const std::vector<Setting> settings = settings_of(args);
  if (args.count("help")) {
    Config shown = default_config(task_named(settings, "even-bits"));
    std::cout << options.help() << keys_help(shown);
    return 0;
  }
  TrainRequest request = train_request(args, settings);
  if (args.count("nproc")) return launch(args, request.config, argc, argv);
  for (const char* name : {"nnodes", "node-rank", "master-addr", "master-port"})
    if (args.count(name))
      throw ConfigError(std::string("--") + name + " needs --nproc (workers per machine)");
  return train_here(request);
}

}  // namespace gantrain::cli
