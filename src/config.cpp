#include "gantrain/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "gantrain/error.h"

namespace gantrain {
namespace {

// One entry of the key table: how to set a key from text and how to print it back.
struct KeySpec {
  std::string key;
  std::string help;
  std::function<void(Config&, const std::string&)> set;  // throws std::string (the expectation)
  std::function<std::string(const Config&)> get;
};

std::string format_double(double v) {
  // Shortest text that reads back to the same double, so to_yaml round-trips exactly.
  for (int precision = 6; precision <= 17; ++precision) {
    std::ostringstream s;
    s.precision(precision);
    s << v;
    if (std::strtod(s.str().c_str(), nullptr) == v) return s.str();
  }
  return std::to_string(v);
}

int64_t parse_int(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw std::string("an integer");
  return v;
}

double parse_double(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw std::string("a finite number");
  return v;
}

std::vector<int64_t> parse_int_list(const std::string& text) {
  std::vector<int64_t> out;
  if (text.empty() || text == "[]") return out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(" ["));
    item.erase(item.find_last_not_of(" ]") + 1);
    try {
      out.push_back(parse_int(item));
    } catch (const std::string&) {
      throw std::string("a list of integers such as [256, 512]");
    }
  }
  return out;
}

// Field accessors: `section` selects the sub-struct, `member` the field in it.
template <class Section, class T>
KeySpec field(std::string key, std::string help, Section Config::*section, T Section::*member,
              std::function<bool(const T&)> ok, std::string expected,
              std::function<T(const std::string&)> parse,
              std::function<std::string(const T&)> print) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.help = std::move(help);
  spec.set = [=](Config& c, const std::string& text) {
    T value;
    try {
      value = parse(text);
    } catch (const std::string& what) {
      throw expected.empty() ? what : expected;  // the full expectation, range included
    }
    if (!ok(value)) throw expected;
    c.*section.*member = value;
  };
  spec.get = [=](const Config& c) { return print(c.*section.*member); };
  return spec;
}

// Upper bounds keep absurd values (a typo of ten digits) from hanging or overflowing a run.
template <class Section>
KeySpec int_key(std::string key, std::string help, Section Config::*s, int64_t Section::*m,
                int64_t min, int64_t max) {
  return field<Section, int64_t>(
      std::move(key), std::move(help), s, m,
      [min, max](const int64_t& v) { return v >= min && v <= max; },
      "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]", parse_int,
      [](const int64_t& v) { return std::to_string(v); });
}

template <class Section>
KeySpec real_key(std::string key, std::string help, Section Config::*s, double Section::*m,
                 double lo, double hi, bool lo_open, bool hi_open) {
  std::string expected = "a number in " + std::string(lo_open ? "(" : "[") + format_double(lo) +
                         ", " + (std::isinf(hi) ? "inf" : format_double(hi)) +
                         (hi_open ? ")" : "]");
  return field<Section, double>(
      std::move(key), std::move(help), s, m,
      [=](const double& v) {
        return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
      },
      expected, parse_double, format_double);
}

// A choice (choices.h): its names, listed in the help after `lead` and in the error, come
// from the choice's table.
template <class Section, class E>
KeySpec choice_key(std::string key, const std::string& lead, Section Config::*s, E Section::*m) {
  std::string expected = "one of:";
  for (const auto& c : Choices<E>::table) expected += std::string(" ") + c.name;
  return field<Section, E>(
      std::move(key), lead + ": " + choice_list<E>(true), s, m, [](const E&) { return true; },
      expected,
      [](const std::string& t) {
        if (auto value = parse_choice<E>(t)) return *value;
        throw std::string();  // field() reports `expected`
      },
      [](const E& v) { return choice_name(v); });
}

template <class Section>
KeySpec bool_key(std::string key, std::string help, Section Config::*s, bool Section::*m) {
  return field<Section, bool>(
      std::move(key), std::move(help), s, m, [](const bool&) { return true; }, "true or false",
      [](const std::string& t) {
        if (t == "true") return true;
        if (t == "false") return false;
        throw std::string("true or false");
      },
      [](const bool& v) { return std::string(v ? "true" : "false"); });
}

template <class Section>
KeySpec text_key(std::string key, std::string help, Section Config::*s, std::string Section::*m) {
  return field<Section, std::string>(
      std::move(key), std::move(help), s, m, [](const std::string&) { return true; }, "",
      [](const std::string& t) { return t; }, [](const std::string& v) { return v; });
}

template <class Section>
KeySpec widths_key(std::string key, std::string help, Section Config::*s,
                   std::vector<int64_t> Section::*m) {
  return field<Section, std::vector<int64_t>>(
      std::move(key), std::move(help), s, m,
      [](const std::vector<int64_t>& v) {
        return v.size() <= 100 &&
               std::all_of(v.begin(), v.end(), [](int64_t w) { return w >= 1 && w <= 1000000; });
      },
      "a list of at most 100 widths in [1, 1000000] such as [256, 512] ([] for none)",
      parse_int_list, format_int_list);
}

const std::vector<KeySpec>& key_table() {
  using C = Config;
  static const std::vector<KeySpec> table = [] {
    std::vector<KeySpec> t;
    KeySpec task;
    task.key = "task";
    task.help = "what to train: even-bits, mnist or images";
    task.set = [](C& c, const std::string& v) {
      if (v.empty()) throw std::string("a task name");
      c.task = v;
    };
    task.get = [](const C& c) { return c.task; };
    t.push_back(task);

    t.push_back(choice_key("model.arch", "architecture", &C::model, &ModelConfig::arch));
    t.push_back(int_key("model.latent_dim", "noise vector length", &C::model,
                        &ModelConfig::latent_dim, 1, 100000));
    t.push_back(choice_key("model.noise", "noise distribution", &C::model, &ModelConfig::noise));
    t.push_back(widths_key("model.g_hidden", "generator hidden widths", &C::model,
                           &ModelConfig::g_hidden));
    t.push_back(widths_key("model.d_hidden", "discriminator hidden widths", &C::model,
                           &ModelConfig::d_hidden));
    t.push_back(choice_key("model.activation", "hidden-layer activation", &C::model,
                           &ModelConfig::activation));
    t.push_back(real_key("model.leaky_slope", "negative slope of leaky_relu", &C::model,
                         &ModelConfig::leaky_slope, 0.0, 1.0, false, true));
    t.push_back(real_key("model.dropout", "discriminator dropout after each hidden layer",
                         &C::model, &ModelConfig::dropout, 0.0, 1.0, false, true));
    t.push_back(widths_key("model.g_channels",
                           "dcgan: generator channels, one per 2x upsampling stage (2 for 28x28); "
                           "images: [] = from data.resolution",
                           &C::model, &ModelConfig::g_channels));
    t.push_back(widths_key("model.d_channels",
                           "dcgan: discriminator channels, one per 2x downsampling stage; images: [] = "
                           "from data.resolution",
                           &C::model, &ModelConfig::d_channels));
    t.push_back(bool_key("model.spectral_norm",
                         "spectral normalisation of every discriminator layer (dcgan: replaces "
                         "its batch norm)",
                         &C::model, &ModelConfig::spectral_norm));
    t.push_back(bool_key("model.conditional",
                         "class-conditional GAN on labelled data (mnist, images with class "
                         "folders): a class embedding in G (dcgan: class-conditional batch norm), "
                         "a projection discriminator; grids show one row per class",
                         &C::model, &ModelConfig::conditional));

    t.push_back(choice_key("data.dataset", "which data set (sets the default data.dir)", &C::data,
                           &DataConfig::dataset));
    t.push_back(text_key("data.dir",
                         "directory of IDX files; empty: for mnist $GANTRAIN_DATA, else "
                         "data/mnist; for fashion-mnist $GANTRAIN_FASHION_MNIST, else "
                         "/usr/share/datasets/fashion-mnist; images: the folder of pictures",
                         &C::data, &DataConfig::dir));
    t.push_back(int_key("data.limit", "use only the first N training images; 0 = all", &C::data,
                        &DataConfig::limit, 0, 1000000000));
    t.push_back(int_key("data.resolution", "images: side of the square images trained on",
                        &C::data, &DataConfig::resolution, 8, 1024));
    t.push_back(field<DataConfig, int64_t>(
        "data.channels", "images: 1 (gray) or 3 (RGB); 0 = 3 unless every image is gray",
        &C::data, &DataConfig::channels,
        [](const int64_t& v) { return v == 0 || v == 1 || v == 3; }, "0 (automatic), 1 or 3",
        parse_int, [](const int64_t& v) { return std::to_string(v); }));
    t.push_back(int_key("data.classes",
                        "classes of the labelled data (model.conditional); 0 = as found (images: "
                        "its first-level folders), written into the run's config",
                        &C::data, &DataConfig::classes, 0, 100000));
    t.push_back(choice_key("data.fit", "images: how a non-square picture becomes square", &C::data,
                           &DataConfig::fit));
    t.push_back(int_key("data.max_pixels",
                        "images: pictures with more pixels (read from the header, before "
                        "decoding) are bad files",
                        &C::data, &DataConfig::max_pixels, 1, 1000000000000));
    t.push_back(choice_key("data.on_bad_file", "images: a file that cannot be read", &C::data,
                           &DataConfig::on_bad_file));
    t.push_back(text_key("data.cache_dir",
                         "images: folder of decoded caches; empty: $GANTRAIN_CACHE, else "
                         "$XDG_CACHE_HOME/gantrain, else ~/.cache/gantrain",
                         &C::data, &DataConfig::cache_dir));
    t.push_back(bool_key("data.mirror", "random left-right flips of real images (image tasks)", &C::data,
                         &DataConfig::mirror));

    t.push_back(int_key("train.steps", "training steps (generator updates); wins over epochs when > 0",
                        &C::train, &TrainConfig::steps, 0, 1000000000000));
    t.push_back(int_key("train.epochs", "passes over the data, used when steps = 0", &C::train,
                        &TrainConfig::epochs, 0, 1000000));
    t.push_back(int_key("train.batch_size", "samples per update (global: split among the ranks)", &C::train,
                        &TrainConfig::batch_size, 1, 1000000));
    t.push_back(real_key("train.lr_g", "generator Adam learning rate", &C::train,
                         &TrainConfig::lr_g, 0.0, 1.0, true, false));
    t.push_back(real_key("train.lr_d", "discriminator Adam learning rate", &C::train,
                         &TrainConfig::lr_d, 0.0, 1.0, true, false));
    t.push_back(real_key("train.beta1", "Adam beta1", &C::train, &TrainConfig::beta1, 0.0, 1.0,
                         false, true));
    t.push_back(real_key("train.beta2", "Adam beta2", &C::train, &TrainConfig::beta2, 0.0, 1.0,
                         false, true));
    t.push_back(int_key("train.d_steps", "discriminator updates per generator update (k)",
                        &C::train, &TrainConfig::d_steps, 1, 100));
    t.push_back(choice_key("train.order", "which network updates first", &C::train,
                           &TrainConfig::order));
    t.push_back(int_key("train.seed", "seed of every random draw", &C::train, &TrainConfig::seed,
                        0, 9007199254740992));
    t.push_back(field<TrainConfig, DeviceChoice>(
        "train.device", std::string(kDeviceChoices) + " (CUDA when present)", &C::train,
        &TrainConfig::device, [](const DeviceChoice&) { return true; }, kDeviceChoices,
        [](const std::string& text) {
          if (auto device = parse_device_choice(text)) return *device;
          throw std::string();
        },
        device_choice_name));
    t.push_back(int_key("train.threads",
                        "LibTorch intra-op threads; 0 = fast default (the cores; 1 for an fp32 "
                        "MLP on OpenBLAS)",
                        &C::train, &TrainConfig::threads, 0, 1024));
    t.push_back(choice_key("train.on_nan", "what a non-finite loss does", &C::train,
                           &TrainConfig::on_nan));
    t.push_back(choice_key("train.loss", "adversarial loss", &C::train, &TrainConfig::loss));
    t.push_back(real_key("train.real_label",
                         "D's target on real samples for bce and lsgan; below 1 = one-sided "
                         "label smoothing (0.9 is usual)",
                         &C::train, &TrainConfig::real_label, 0.5, 1.0, false, false));
    t.push_back(real_key("train.ema_decay",
                         "generator EMA decay, e.g. 0.999; grids, sample and eval use the EMA; "
                         "0 = off",
                         &C::train, &TrainConfig::ema_decay, 0.0, 1.0, false, true));
    t.push_back(choice_key("train.precision",
                           "forward-pass precision (weights and Adam stay fp32)",
                           &C::train, &TrainConfig::precision));
    t.push_back(choice_key("train.dist_backend", "data-parallel collectives", &C::train,
                           &TrainConfig::dist_backend));
    t.push_back(int_key("train.dist_timeout",
                        "seconds a rank waits for the others (rendezvous, a collective) before "
                        "it stops",
                        &C::train, &TrainConfig::dist_timeout, 1, 86400));
    t.push_back(choice_key("train.augment", "augmentation of D's inputs, real and fake",
                           &C::train, &TrainConfig::augment));
    t.push_back(real_key("train.r1_gamma",
                         "R1 penalty weight on D's gradient at real images (10 is usual for "
                         "small data); 0 = off",
                         &C::train, &TrainConfig::r1_gamma, 0.0, 1e6, false, false));
    t.push_back(int_key("train.r1_every", "D steps between R1 penalties (lazy regularisation)",
                        &C::train, &TrainConfig::r1_every, 1, 1000000));

    t.push_back(text_key("log.out", "run directory; empty = runs/<task>-<timestamp>", &C::log,
                         &LogConfig::out));
    t.push_back(int_key("log.every", "steps between progress lines and metrics.csv rows",
                        &C::log, &LogConfig::every, 1, 1000000000000));
    t.push_back(int_key("log.sample_every", "steps between sample grids; 0 = at the end only",
                        &C::log, &LogConfig::sample_every, 0, 1000000000000));
    t.push_back(int_key("log.checkpoint_every", "steps between checkpoints; 0 = at the end only",
                        &C::log, &LogConfig::checkpoint_every, 0, 1000000000000));
    t.push_back(int_key("log.keep_checkpoints", "step_N.pt files kept; 0 = all", &C::log,
                        &LogConfig::keep_checkpoints, 0, 1000000));
    t.push_back(int_key("log.grid_samples", "images in a sample grid", &C::log,
                        &LogConfig::grid_samples, 1, 10000));
    t.push_back(int_key("log.grid_nrow", "images per sample-grid row", &C::log,
                        &LogConfig::grid_nrow, 1, 10000));
    t.push_back(int_key("log.grid_scale", "pixels per sample pixel in grids (nearest neighbour)",
                        &C::log, &LogConfig::grid_scale, 1, kMaxGridScale));
    t.push_back(bool_key("log.tensorboard", "write TensorBoard event files into the run directory",
                         &C::log, &LogConfig::tensorboard));
    t.push_back(bool_key("log.report", "write report.html (gantrain report) when training ends",
                         &C::log, &LogConfig::report));

    t.push_back(int_key("eval.every", "steps between sample-quality evaluations; 0 = never",
                        &C::eval, &EvalConfig::every, 0, 1000000000000));
    t.push_back(int_key("eval.samples", "generated samples measured by task metrics and eval",
                        &C::eval, &EvalConfig::samples, 10, 1000000));
    t.push_back(text_key("eval.metrics", "metric groups to compute, comma-separated, or all",
                         &C::eval, &EvalConfig::metrics));
    t.push_back(real_key("eval.truncation",
                         "gaussian noise: evaluate samples drawn within [-T, T] (the truncation "
                         "trick, Brock et al. 2019); 0 = plain N(0, 1)",
                         &C::eval, &EvalConfig::truncation, 0, 100, false, false));
    t.push_back(text_key("eval.feature_model",
                         "images: a TorchScript feature extractor (.pt, images [N, C, H, W] in "
                         "[-1, 1] -> features [N, F]) for fid, kid and pr; empty = none",
                         &C::eval, &EvalConfig::feature_model));
    return t;
  }();
  return table;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(const std::string& key) {
  // Names from PyTorch tutorials, so their typos find our keys too.
  static const std::vector<std::pair<std::string, std::string>> aliases = {
      {"learning_rate", "train.lr_g"}, {"lr", "train.lr_g"}, {"nz", "model.latent_dim"},
      {"z_dim", "model.latent_dim"}, {"num_epochs", "train.epochs"}};
  std::vector<std::pair<std::string, std::string>> candidates = aliases;
  for (const auto& spec : key_table()) candidates.emplace_back(spec.key, spec.key);
  const std::string leaf = key.substr(key.find('.') + 1);
  std::string best;
  size_t best_distance = 0;
  for (const auto& [name, target] : candidates) {
    // Compare the part after the section too, so a key typed in the wrong section is found.
    const std::string name_leaf = name.substr(name.find('.') + 1);
    size_t d = std::min(edit_distance(key, name), edit_distance(leaf, name_leaf));
    if (best.empty() || d < best_distance) best = target, best_distance = d;
  }
  if (!best.empty() && best_distance <= std::max<size_t>(2, leaf.size() / 4))
    return " (did you mean '" + best + "'?)";
  return " (see gantrain --help for the keys)";
}

std::string where(const std::string& name, const YAML::Mark& mark) {
  if (mark.is_null()) return name;
  return name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string scalar_text(const YAML::Node& node, const std::string& key, const std::string& at) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) throw ConfigError(at + ": key '" + key + "' has no value");
  if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar())
        throw ConfigError(at + ": key '" + key + "': expected a list of numbers");
      joined += (joined.empty() ? "" : ",") + item.Scalar();
    }
    return joined.empty() ? "[]" : joined;
  }
  throw ConfigError(at + ": key '" + key + "' expects a value, got a mapping");
}

// yaml-cpp quotes the offending character as is: keep the one-line message printable.
std::string printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return text;
}

bool is_section(const std::string& name) {
  const auto& table = key_table();
  return std::any_of(table.begin(), table.end(),
                     [&](const KeySpec& k) { return k.key.rfind(name + ".", 0) == 0; });
}

}  // namespace

std::vector<Setting> read_config_text(const std::string& yaml, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where(name, e.mark) + ": YAML syntax error: " + printable(e.msg));
  }
  std::vector<Setting> out;
  if (root.IsNull()) return out;
  if (!root.IsMap())
    throw ConfigError(where(name, root.Mark()) + ": expected a mapping of sections and keys");
  auto add = [&](const std::string& key, const YAML::Node& value, const std::string& at) {
    // A key given twice is a mistake either way round: say so instead of silently taking one.
    for (const auto& earlier : out)
      if (earlier.key == key)
        throw ConfigError(at + ": duplicate key '" + key + "' (first given at " + earlier.origin + ")");
    out.push_back({key, scalar_text(value, key, at), at});
  };
  for (const auto& entry : root) {
    const std::string section = printable(entry.first.Scalar());
    const YAML::Node& value = entry.second;
    const std::string at = where(name, entry.first.Mark());
    if (value.IsMap()) {
      for (const auto& item : value)
        add(section + "." + printable(item.first.Scalar()), item.second,
            where(name, item.first.Mark()));
    } else if (is_section(section)) {
      throw ConfigError(at + ": '" + section + "' is a section: expected its keys under it, e.g. '" +
                        section + ":' then '  key: value' on the next line");
    } else {
      add(section, value, at);
    }
  }
  return out;
}

std::vector<Setting> read_config_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ConfigError(path + ": cannot open config file (" +
                      (std::filesystem::exists(path, ec) ? "not a regular file" : "not found") + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return read_config_text(text.str(), path);
}

std::string task_named(const std::vector<Setting>& settings, const std::string& fallback) {
  std::string task = fallback;
  for (const auto& s : settings)
    if (s.key == "task") task = s.value;
  return task;
}

Setting parse_set_argument(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set '" + text + "': expected section.key=value, e.g. train.steps=1000");
  return {text.substr(0, eq), text.substr(eq + 1), "--set"};
}

void apply_setting(Config& config, const Setting& setting) {
  // Keys renamed since a release: configs and checkpoints written before still load.
  static const std::map<std::string, std::string> renamed = {{"log.eval_samples", "eval.samples"}};
  auto rename = renamed.find(setting.key);
  const std::string& key = rename == renamed.end() ? setting.key : rename->second;
  const auto& table = key_table();
  auto spec = std::find_if(table.begin(), table.end(),
                           [&](const KeySpec& s) { return s.key == key; });
  if (spec == table.end())
    throw ConfigError(setting.origin + ": unknown key '" + setting.key + "'" +
                      did_you_mean(setting.key));
  try {
    spec->set(config, setting.value);
  } catch (const std::string& expected) {
    throw ConfigError(setting.origin + ": " + key + " = '" + setting.value +
                      "': expected " + expected);
  }
}

void apply_settings(Config& config, const std::vector<Setting>& settings) {
  for (const auto& s : settings) apply_setting(config, s);
}

void validate_world_size(const Config& config, int64_t world_size) {
  if (config.train.batch_size % world_size != 0)
    throw ConfigError("train.batch_size = " + std::to_string(config.train.batch_size) +
                      " is the global batch: it must split evenly among " +
                      std::to_string(world_size) + " ranks");
}

void validate(const Config& config) {
  const auto& t = config.train;
  if (t.steps == 0 && t.epochs == 0)
    throw ConfigError("train.steps and train.epochs are both 0: set one of them");
  if (config.log.grid_nrow > config.log.grid_samples)
    throw ConfigError("log.grid_nrow = " + std::to_string(config.log.grid_nrow) +
                      ": expected at most log.grid_samples = " +
                      std::to_string(config.log.grid_samples));
  if (t.loss == LossKind::kHinge && t.real_label != 1.0)
    throw ConfigError("train.real_label = " + format_double(t.real_label) +
                      ": label smoothing applies to train.loss bce and lsgan, not hinge");
  if (config.eval.truncation > 0 && config.model.noise != NoiseKind::kGaussian)
    throw ConfigError("eval.truncation = " + format_double(config.eval.truncation) +
                      ": applies to model.noise gaussian, not " + choice_name(config.model.noise));
  if (config.eval.every > 0 && config.eval.every % config.log.every != 0)
    throw ConfigError("eval.every = " + std::to_string(config.eval.every) +
                      ": expected a multiple of log.every = " + std::to_string(config.log.every) +
                      " (evaluations are written with the metrics.csv rows)");
}

std::optional<DeviceChoice> parse_device_choice(std::string_view text) {
  for (const auto& c : Choices<DeviceKind>::table)
    if (text == c.name) return DeviceChoice{c.value, -1};
  constexpr std::string_view cuda = "cuda:";
  const std::string_view digits = text.substr(std::min(text.size(), cuda.size()));
  if (text.substr(0, cuda.size()) != cuda || digits.empty() || digits.size() > 3 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return DeviceChoice{DeviceKind::kCuda, std::stoll(std::string(digits))};
}

std::string device_choice_name(const DeviceChoice& device) {
  std::string name = choice_name(device.kind);
  return device.index < 0 ? name : name + ":" + std::to_string(device.index);
}

std::string format_int_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string to_yaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const auto& spec : key_table()) {
    auto dot = spec.key.find('.');
    std::string section = dot == std::string::npos ? "" : spec.key.substr(0, dot);
    if (section != open_section) {
      if (!open_section.empty()) out << YAML::EndMap;
      if (!section.empty()) out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    std::string name = dot == std::string::npos ? spec.key : spec.key.substr(dot + 1);
    out << YAML::Key << name << YAML::Value;
    std::string value = spec.get(config);
    if (!value.empty() && value.front() == '[') {
      // Lists go out as YAML flow sequences.
      out << YAML::Flow << YAML::BeginSeq;
      for (int64_t w : parse_int_list(value)) out << w;
      out << YAML::EndSeq;
    } else {
      out << value;
    }
    out << YAML::Comment(spec.help);
  }
  if (!open_section.empty()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<KeyInfo> describe_keys(const Config& config) {
  std::vector<KeyInfo> out;
  for (const auto& spec : key_table()) out.push_back({spec.key, spec.help, spec.get(config)});
  return out;
}

}  // namespace gantrain
