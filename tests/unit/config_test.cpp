#include <filesystem>
#include <fstream>
#include <set>

#include "gantrain/config.h"
#include "gantrain/error.h"
#include "gantrain/commands.h"
#include "expect_throw.h"

using namespace gantrain;

namespace {

Setting set(const std::string& key, const std::string& value) { return {key, value, "--set"}; }

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("gantrain_config_test_" + name);
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace

TEST(ConfigTest, DefaultsAreTheTutorialToy) {
  Config c = default_config("even-bits");
  EXPECT_EQ(c.train.batch_size, 16);
  EXPECT_DOUBLE_EQ(c.train.lr_g, 1e-3);
  EXPECT_EQ(c.train.steps, 500);
  EXPECT_EQ(c.train.order, StepOrder::kGeneratorFirst);
  EXPECT_TRUE(c.model.g_hidden.empty());
}

TEST(ConfigTest, MnistDefaults) {
  Config c = default_config("mnist");
  EXPECT_EQ(c.model.g_hidden, (std::vector<int64_t>{256, 512, 1024}));
  EXPECT_EQ(c.model.d_hidden, (std::vector<int64_t>{1024, 512, 256}));
  EXPECT_EQ(c.train.batch_size, 100);
  EXPECT_DOUBLE_EQ(c.train.lr_d, 2e-4);
  EXPECT_EQ(c.train.order, StepOrder::kDiscriminatorFirst);
}

TEST(ConfigTest, UnknownKeySuggestsClosest) {
  Config c;
  EXPECT_THROW_MSG(apply_setting(c, set("train.lerning_rate", "1")), ConfigError,
                   "--set: unknown key 'train.lerning_rate'");
  EXPECT_THROW_MSG(apply_setting(c, set("train.batchsize", "1")), ConfigError,
                   "did you mean 'train.batch_size'?");
  EXPECT_THROW_MSG(apply_setting(c, set("train.lerning_rate", "1")), ConfigError,
                   "did you mean 'train.lr_g'?");
  EXPECT_THROW_MSG(apply_setting(c, set("log.batch_size", "1")), ConfigError,
                   "did you mean 'train.batch_size'?");
  EXPECT_THROW_MSG(apply_setting(c, set("zzzzzz", "1")), ConfigError, "see gantrain --help");
}

TEST(ConfigTest, WrongTypeNamesKeyValueAndExpectation) {
  Config c;
  EXPECT_THROW_MSG(apply_setting(c, set("log.tensorboard", "yes")), ConfigError,
                   "log.tensorboard = 'yes': expected true or false");
  EXPECT_THROW_MSG(apply_setting(c, set("log.grid_scale", "0")), ConfigError,
                   "log.grid_scale = '0': expected an integer in [1, 16]");
  EXPECT_THROW_MSG(apply_setting(c, set("train.batch_size", "abc")), ConfigError,
                   "train.batch_size = 'abc': expected an integer in [1, 1000000]");
  EXPECT_THROW_MSG(apply_setting(c, set("train.lr_g", "fast")), ConfigError,
                   "train.lr_g = 'fast': expected a number in (0, 1]");
  EXPECT_THROW_MSG(apply_setting(c, set("model.g_hidden", "[256, x]")), ConfigError,
                   "expected a list of");
}

TEST(ConfigTest, OutOfRangeValues) {
  Config c;
  EXPECT_THROW_MSG(apply_setting(c, set("train.batch_size", "0")), ConfigError,
                   "train.batch_size = '0': expected an integer in [1, 1000000]");
  EXPECT_THROW_MSG(apply_setting(c, set("train.lr_d", "-0.1")), ConfigError,
                   "expected a number in (0, 1]");
  EXPECT_THROW_MSG(apply_setting(c, set("model.dropout", "1.5")), ConfigError, "[0, 1)");
  EXPECT_THROW_MSG(apply_setting(c, set("model.latent_dim", "0")), ConfigError, "expected an integer in [1, 100000]");
  EXPECT_THROW_MSG(apply_setting(c, set("train.order", "random")), ConfigError,
                   "expected one of: g-first d-first");
  EXPECT_THROW_MSG(apply_setting(c, set("train.device", "gpu")), ConfigError,
                   "cpu, cuda, cuda:N or auto");
  EXPECT_THROW_MSG(apply_setting(c, set("train.threads", "100000")), ConfigError,
                   "train.threads = '100000': expected an integer in [0, 1024]");
  EXPECT_THROW_MSG(apply_setting(c, set("train.epochs", "4000000000000000000")), ConfigError,
                   "[0, 1000000]");
  EXPECT_THROW_MSG(apply_setting(c, set("train.device", "cuda:99999999999999999999")),
                   ConfigError, "cpu, cuda, cuda:N or auto");
}

TEST(ConfigTest, AppliesValuesAndLaterWins) {
  Config c;
  apply_settings(c, {set("train.steps", "10"), set("model.g_hidden", "[8, 16]"),
                     set("train.steps", "20"), set("train.lr_g", "2e-4")});
  EXPECT_EQ(c.train.steps, 20);
  EXPECT_EQ(c.model.g_hidden, (std::vector<int64_t>{8, 16}));
  EXPECT_DOUBLE_EQ(c.train.lr_g, 2e-4);
}

TEST(ConfigTest, FileErrorsCarryLineAndColumn) {
  std::string path = write_temp("unknown.yaml", "train:\n  steps: 10\n  lerning_rate: 3\n");
  Config c;
  EXPECT_THROW_MSG(apply_settings(c, read_config_file(path)), ConfigError,
                   path + ":3:3: unknown key 'train.lerning_rate'");
  std::string bad = write_temp("syntax.yaml", "train:\n  steps: [1, 2\n");
  EXPECT_THROW_MSG(read_config_file(bad), ConfigError, "YAML syntax error");
  EXPECT_THROW_MSG(read_config_file("/nonexistent/x.yaml"), ConfigError,
                   "/nonexistent/x.yaml: cannot open config file (not found)");
  EXPECT_THROW_MSG(read_config_file("/tmp"), ConfigError, "/tmp: cannot open config file (not a regular file)");
  std::string empty_value = write_temp("null.yaml", "train:\n  steps:\n");
  EXPECT_THROW_MSG(read_config_file(empty_value), ConfigError, "'train.steps' has no value");
}

TEST(ConfigTest, SetArgumentNeedsEquals) {
  EXPECT_THROW_MSG(parse_set_argument("train.steps"), ConfigError, "expected section.key=value");
  Setting s = parse_set_argument("train.steps=5");
  EXPECT_EQ(s.key, "train.steps");
  EXPECT_EQ(s.value, "5");
}

TEST(ConfigTest, ValidateCrossFieldChecks) {
  Config c;
  c.train.steps = 0;
  c.train.epochs = 0;
  EXPECT_THROW_MSG(validate(c), ConfigError, "both 0");
  EXPECT_THROW_MSG(default_config("evenbits"), ConfigError, "unknown task 'evenbits'");
  Config e;
  e.log.every = 100;
  e.eval.every = 250;
  EXPECT_THROW_MSG(validate(e), ConfigError, "eval.every = 250: expected a multiple of log.every = 100");
  e.eval.every = 300;
  EXPECT_NO_THROW(validate(e));
}

TEST(ConfigTest, RenamedKeyStillLoads) {
  Config c;
  apply_setting(c, {"log.eval_samples", "500", "old.yaml:3:3"});
  EXPECT_EQ(c.eval.samples, 500);
  EXPECT_THROW_MSG(apply_setting(c, {"log.eval_samples", "0", "old.yaml:3:3"}), ConfigError,
                   "old.yaml:3:3: eval.samples = '0': expected an integer in [10, 1000000]");
}

TEST(ConfigTest, YamlRoundTripIsExact) {
  Config c = default_config("mnist");
  c.train.lr_g = 0.000123456789;
  c.model.g_hidden = {3, 5};
  Config back = default_config("even-bits");
  apply_settings(back, read_config_text(to_yaml(c), "memory"));
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_DOUBLE_EQ(back.train.lr_g, 0.000123456789);
}

// The shipped config files document the built-in defaults; they must not drift apart.
TEST(ConfigTest, ShippedConfigsEqualBuiltInDefaults) {
  for (std::string task : {"even-bits", "mnist", "images"}) {
    Config from_file = default_config("even-bits");
    apply_settings(from_file,
                   read_config_file(std::string(GANTRAIN_SOURCE_DIR) + "/configs/" + task + ".yaml"));
    EXPECT_EQ(to_yaml(from_file), to_yaml(default_config(task))) << task;
  }
}

// ... and they list every key: a key left out still loads (its default applies), so the
// comparison above cannot notice it.
TEST(ConfigTest, ShippedConfigsListEveryKey) {
  for (std::string task : {"even-bits", "mnist", "images"}) {
    std::string path = std::string(GANTRAIN_SOURCE_DIR) + "/configs/" + task + ".yaml";
    std::set<std::string> listed;
    for (const auto& setting : read_config_file(path)) listed.insert(setting.key);
    for (const auto& key : describe_keys(default_config(task)))
      EXPECT_TRUE(listed.count(key.key)) << path << " does not list " << key.key;
  }
}

TEST(ConfigTest, OnNanIsStopOrSkip) {
  Config c = default_config("mnist");
  EXPECT_EQ(c.train.on_nan, OnNan::kStop);
  apply_setting(c, {"train.on_nan", "skip", "--set"});
  EXPECT_EQ(c.train.on_nan, OnNan::kSkip);
  EXPECT_THROW_MSG(apply_setting(c, {"train.on_nan", "ignore", "--set"}), ConfigError,
                   "--set: train.on_nan = 'ignore': expected one of: stop skip");
}

TEST(ConfigTest, YamlMistakesThatUsedToPassSilently) {
  EXPECT_THROW_MSG(read_config_text("train:\n  steps: 5\n  steps: 6\n", "x.yaml"), ConfigError,
                   "x.yaml:3:3: duplicate key 'train.steps' (first given at x.yaml:2:3)");
  EXPECT_THROW_MSG(read_config_text("train: 5\n", "x.yaml"), ConfigError,
                   "x.yaml:1:1: 'train' is a section: expected its keys under it");
  EXPECT_THROW_MSG(read_config_text("train:\n  steps: \"\\\x01\"\n", "x.yaml"), ConfigError,
                   "YAML syntax error: unknown escape character: ?");
  Config c = default_config("mnist");
  EXPECT_THROW_MSG(apply_setting(c, {"model.g_hidden", "[1, 0]", "--set"}), ConfigError,
                   "expected a list of at most 100 widths in [1, 1000000]");
}
