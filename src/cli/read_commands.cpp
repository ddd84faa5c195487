// The subcommands that read a finished (or running) run: `sample`, `eval` and `report`.
#include <spdlog/spdlog.h>

#include <iostream>
#include <optional>

#include "cli/cli.h"
#include "gantrain/commands.h"
#include "gantrain/error.h"

namespace gantrain::cli {
namespace {

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

// The shared part of `sample` and `eval`: adds --checkpoint, --device, --raw-generator,
// --log-level and --help to `options`, parses (accepting --n), applies the log level. Returns
// nothing when --help was printed; throws ConfigError without --checkpoint.
std::optional<cxxopts::ParseResult> parse_checkpoint_command(cxxopts::Options& options,
                                                             const std::string& name, int argc,
                                                             char** argv) {
  // clang-format off
  options.add_options()
    ("checkpoint", "checkpoint file or run directory (uses checkpoints/latest.pt)", cxxopts::value<std::string>())
    ("raw-generator", "use G itself even where the run kept its EMA (train.ema_decay)")
    ("device", "cpu, cuda, cuda:N or auto", cxxopts::value<std::string>()->default_value("auto"))
    ("log-level", kLogLevelHelp, cxxopts::value<std::string>()->default_value("info"))
    ("h,help", "this help");
  // clang-format on
  ArgvWithLongN long_n(argc, argv);
  auto args = parse_arguments(options, name, argc, long_n.pointers.data());
  if (args.count("help")) {
    std::cout << options.help();
    return std::nullopt;
  }
  if (!args.count("checkpoint"))
    throw ConfigError(name + ": --checkpoint RUN_DIR_OR_PT is required");
  return args;
}

// The subcommands' --device.
DeviceChoice device_flag(const cxxopts::ParseResult& args) {
  const std::string text = args["device"].as<std::string>();
  if (auto device = parse_device_choice(text)) return *device;
  throw ConfigError("--device '" + text + "': expected " + kDeviceChoices);
}

// --classes "0,3,7": class indices (their range is checked against the checkpoint).
std::vector<int64_t> class_list(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, end - start);
    size_t used = 0;
    int64_t value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 0)
      throw ConfigError("--" + flag + " " + text +
                        ": expected class indices, comma-separated (e.g. 0,3,7)");
    out.push_back(value);
    start = end + 1;
  }
  return out;
}

// --truncation: a positive number (or 0, "none", where `zero_allowed`).
double truncation_flag(const std::string& text, bool zero_allowed) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !((zero_allowed ? value >= 0 : value > 0) && value <= 100))
    throw ConfigError("--truncation " + text + ": expected a number in " +
                      (zero_allowed ? "[0" : "(0") + ", 100] (noise drawn within [-T, T]; 1 to 2 is usual" +
                      (zero_allowed ? ", 0 = none)" : ")"));
  return value;
}

}  // namespace

int run_sample(int argc, char** argv) {
  cxxopts::Options options(
      "gantrain sample",
      "Draw samples from a trained generator: a grid (--out FILE.png), one PNG per sample "
      "(--out-dir DIR), or one array (--format npy). Conditional generators (model.conditional) "
      "draw the classes asked for; without class flags, every class in turn.\n");
  options.custom_help("--checkpoint RUN_DIR_OR_PT [--n 64] [--out FILE | --out-dir DIR] [options]");
  // clang-format off
  options.add_options()
    ("n,num", "number of samples (also --n)", cxxopts::value<std::string>()->default_value("64"))
    ("nrow", "images per grid row", cxxopts::value<std::string>()->default_value("8"))
    ("seed", "noise seed", cxxopts::value<std::string>()->default_value("0"))
    ("o,out", "output file: a PNG grid (required for image tasks), or the .npy array; even-bits prints the integers without it", cxxopts::value<std::string>())
    ("out-dir", "write one PNG per sample here (000000.png, ...; 000000_class3.png when conditional), generated in batches", cxxopts::value<std::string>())
    ("format", std::string("png or npy: ") + choice_list<SampleFormat>(true), cxxopts::value<std::string>()->default_value("png"))
    ("class", "conditional: draw only class K", cxxopts::value<std::string>())
    ("classes", "conditional: draw these classes in turn, e.g. 0,3,7", cxxopts::value<std::string>())
    ("per-class", "conditional: N samples of each class (of --classes, or all), one grid row per class; replaces --n", cxxopts::value<std::string>())
    ("truncation", "truncation trick (Brock et al. 2019): gaussian noise drawn within [-T, T]; lower T trades variety for typical samples", cxxopts::value<std::string>())
    ("interpolate", "rows of --nrow steps of spherical interpolation between two random latents")
    ("scale", "image grids and files: draw each pixel as KxK pixels (nearest neighbour), 1-16", cxxopts::value<std::string>()->default_value("1"));
  // clang-format on
  auto parsed = parse_checkpoint_command(options, "gantrain sample", argc, argv);
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  SampleRequest request;
  request.checkpoint = args["checkpoint"].as<std::string>();
  request.n = int_flag(args, "num", 1, 1'000'000'000);
  request.nrow = int_flag(args, "nrow", 1, 1'000'000);
  request.seed = int_flag(args, "seed", 0, 9007199254740992);
  request.scale = int_flag(args, "scale", 1, kMaxGridScale);
  request.device = device_flag(args);
  request.raw_generator = args.count("raw-generator") > 0;
  if (args.count("out")) request.out = args["out"].as<std::string>();
  if (args.count("out-dir")) request.out_dir = args["out-dir"].as<std::string>();
  const std::string format = args["format"].as<std::string>();
  if (auto f = parse_choice<SampleFormat>(format))
    request.format = *f;
  else
    throw ConfigError("--format " + format + ": expected " + choice_list<SampleFormat>());
  if (args.count("class") && args.count("classes"))
    throw ConfigError("gantrain sample: give --class K or --classes LIST, not both");
  if (args.count("class")) request.classes = {int_flag(args, "class", 0, 1'000'000)};
  if (args.count("classes")) request.classes = class_list("classes", args["classes"].as<std::string>());
  if (args.count("per-class")) {
    if (args.count("num")) throw ConfigError("gantrain sample: --per-class sets the count; drop --n");
    request.per_class = int_flag(args, "per-class", 1, 1'000'000);
  }
  if (args.count("truncation")) request.truncation = truncation_flag(args["truncation"].as<std::string>(), false);
  request.interpolate = args.count("interpolate") > 0;
  std::string text = sample(request);
  if (!text.empty()) std::cout << text << "\n";
  return 0;
}

int run_eval(int argc, char** argv) {
  cxxopts::Options options(
      "gantrain eval",
      "Measure a trained generator's samples (docs/metrics.md); writes eval.json in the run "
      "directory.\nmnist metric groups: fid, is, modes, pr, parzen. even-bits: even, modes, kl.\n");
  options.custom_help("--checkpoint RUN_DIR_OR_PT [--n 10000] [--metrics LIST] [options]");
  // clang-format off
  options.add_options()
    ("n,num", "generated samples (also --n), 10-1000000; default: the run's eval.samples (10000)", cxxopts::value<std::string>())
    ("metrics", "metric groups, comma-separated, or all; default: the run's eval.metrics", cxxopts::value<std::string>())
    ("seed", "noise seed; default: the one training-time evaluation uses (train.seed + 1)", cxxopts::value<std::string>())
    ("data-dir", "real data directory; default: the run's", cxxopts::value<std::string>())
    ("truncation", "gaussian noise drawn within [-T, T] (the truncation trick), 0 = none; default: the run's eval.truncation", cxxopts::value<std::string>())
    ("o,out", "JSON file to write; default: eval.json in the run directory", cxxopts::value<std::string>());
  // clang-format on
  auto parsed = parse_checkpoint_command(options, "gantrain eval", argc, argv);
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  EvalRequest request;
  request.checkpoint = args["checkpoint"].as<std::string>();
  if (args.count("num")) request.n = int_flag(args, "num", 10, 1'000'000);
  if (args.count("metrics")) request.metrics = args["metrics"].as<std::string>();
  if (args.count("seed")) request.seed = int_flag(args, "seed", 0, 9007199254740992);
  if (args.count("data-dir")) request.data_dir = args["data-dir"].as<std::string>();
  if (args.count("truncation")) request.truncation = truncation_flag(args["truncation"].as<std::string>(), true);
  if (args.count("out")) request.out = args["out"].as<std::string>();
  request.device = device_flag(args);
  request.raw_generator = args.count("raw-generator") > 0;
  std::cout << evaluate(request) << std::flush;
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
    ("o,out", "HTML file to write; default: report.html in the run directory", cxxopts::value<std::string>())
    ("log-level", kLogLevelHelp, cxxopts::value<std::string>()->default_value("info"))
    ("h,help", "this help");
  // clang-format on
  options.parse_positional({"run_dir"});
  auto args = parse_arguments(options, "gantrain report", argc, argv);
  if (args.count("help")) {
    std::cout << options.help({""});
    return 0;
  }
  if (!args.count("run_dir")) throw ConfigError("gantrain report: RUN_DIR is required");
  ReportRequest request;
  request.run_dir = args["run_dir"].as<std::string>();
  if (args.count("out")) request.out = args["out"].as<std::string>();
  spdlog::info("wrote {}", report(request));
  return 0;
}

}  // namespace gantrain::cli
