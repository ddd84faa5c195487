#pragma once
/// The run configuration: built-in defaults < YAML file < --set < specific flags.
#include <cstdint>
#include <string>
#include <vector>

#include "gantrain/choices.h"

namespace gantrain {

/// Generator and discriminator architecture and shape, and the noise fed to the generator.
struct ModelConfig {
  ModelArch arch = ModelArch::kMlp;        ///< mlp (the seed's) or dcgan (image tasks)
  int64_t latent_dim = 7;                  ///< noise vector length
  NoiseKind noise = NoiseKind::kBits;      ///< bits ({0,1}), gaussian (N(0,1)), uniform ([-1,1])
  std::vector<int64_t> g_hidden;           ///< generator hidden widths, input to output
  std::vector<int64_t> d_hidden;           ///< discriminator hidden widths, input to output
  Activation activation = Activation::kLeakyRelu;  ///< hidden activation: leaky_relu, relu, tanh
  double leaky_slope = 0.2;                ///< negative slope of leaky_relu
  double dropout = 0.0;                    ///< discriminator dropout after each hidden layer
  std::vector<int64_t> g_channels = {128, 64};  ///< dcgan: G's channels per 2x stage, coarse to fine
  std::vector<int64_t> d_channels = {64, 128};  ///< dcgan: D's channels per stage, fine to coarse
  bool spectral_norm = false;              ///< spectrally normalised D layers (Miyato et al. 2018)
  bool conditional = false;                ///< class-conditional G and projection D (labelled tasks)
};

/// Where the real data comes from (MNIST-format tasks, and the images task's folder).
struct DataConfig {
  Dataset dataset = Dataset::kMnist;  ///< mnist or fashion-mnist (chooses the default directory)
  std::string dir;                ///< IDX directory, or the images task's folder
  int64_t limit = 0;              ///< use the first N training images only; 0 = all
  int64_t resolution = 32;        ///< images: side of the square images trained on
  int64_t channels = 0;           ///< images: 1 or 3; 0 = 3 unless every image is gray
  int64_t classes = 0;            ///< classes of the labelled data; 0 = as found (Task::prepare)
  FitMode fit = FitMode::kCrop;   ///< images: how a non-square picture becomes square
  int64_t max_pixels = 50'000'000;  ///< images: larger pictures (from the header) are skipped
  OnBadFile on_bad_file = OnBadFile::kSkip;  ///< images: an unreadable file is skipped or stops the run
  std::string cache_dir;          ///< images: decoded-cache folder; empty: cache_directory() (io/run_dir.h)
  bool mirror = false;            ///< random x-flips of real images
};

/// The optimisation loop (Goodfellow et al. 2014, Algorithm 1).
struct TrainConfig {
  int64_t steps = 500;             ///< training steps (one G update each); wins over epochs when > 0
  int64_t epochs = 0;              ///< passes over the data when steps = 0
  int64_t batch_size = 16;         ///< real and fake samples per update, over all ranks
  double lr_g = 1e-3;              ///< generator Adam learning rate
  double lr_d = 1e-3;              ///< discriminator Adam learning rate
  double beta1 = 0.9;              ///< Adam beta1 (both optimizers)
  double beta2 = 0.999;            ///< Adam beta2 (both optimizers)
  int64_t d_steps = 1;             ///< discriminator updates per generator update (k)
  StepOrder order = StepOrder::kGeneratorFirst;  ///< g-first (the even-bits toy) or d-first (the paper)
  int64_t seed = 0;                ///< seeds every random draw of the run
  DeviceChoice device;             ///< cpu, cuda, cuda:N or auto (the default)
  int64_t threads = 0;             ///< 0 = the fast default (set_compute_threads)
  OnNan on_nan = OnNan::kStop;     ///< non-finite loss: stop (error, no checkpoint) or skip the update
  LossKind loss = LossKind::kBce;  ///< bce (the paper's, non-saturating G), hinge or lsgan
  double real_label = 1.0;         ///< D's target on real samples (bce, lsgan); < 1 = label smoothing
  double ema_decay = 0.0;          ///< generator EMA decay (samples and eval use the EMA); 0 = off
  Precision precision = Precision::kFp32;  ///< fp32, or bf16: matrix products in bfloat16 (autocast)
  DistBackend dist_backend = DistBackend::kAuto;  ///< data-parallel collectives: auto, gloo or nccl
  int64_t dist_timeout = 300;      ///< seconds to wait for other ranks before stopping
  Augment augment = Augment::kNone;  ///< diffaugment: differentiable augmentation of D's inputs
  double r1_gamma = 0.0;           ///< R1 penalty weight on real images (Mescheder et al. 2018); 0 = off
  int64_t r1_every = 16;           ///< D steps between R1 penalties (lazy regularisation)
};

/// Largest log.grid_scale, and of `gantrain sample --scale`: pixels per sample pixel.
constexpr int64_t kMaxGridScale = 16;

/// Output: where and how often.
struct LogConfig {
  std::string out;                 ///< run directory; empty = runs/<task>-<timestamp>
  int64_t every = 100;             ///< steps between progress lines and metrics.csv rows
  int64_t sample_every = 0;        ///< steps between sample grids; 0 = only at the end
  int64_t checkpoint_every = 0;    ///< steps between checkpoints; 0 = only at the end
  int64_t keep_checkpoints = 3;    ///< step_N.pt files kept (latest.pt always); 0 = keep all
  int64_t grid_samples = 64;       ///< images in a sample grid
  int64_t grid_nrow = 8;           ///< images per grid row
  int64_t grid_scale = 1;          ///< pixels per sample pixel in image grids (nearest neighbour)
  bool tensorboard = true;         ///< write TensorBoard event files into the run directory
  bool report = true;              ///< write report.html when a training run ends
};

/// Sample-quality evaluation (gantrain eval, and during training).
struct EvalConfig {
  int64_t every = 0;               ///< steps between evaluations while training; 0 = never
  int64_t samples = 10000;         ///< generated samples measured (task metrics and eval)
  std::string metrics = "all";     ///< comma-separated metric groups of the task, or all
  std::string feature_model;       ///< images: a TorchScript feature extractor (.pt) for FID, KID, precision/recall
  double truncation = 0;           ///< > 0: evaluation noise truncated to [-truncation, truncation]
};

/// Everything a run needs; written to the run directory and into each checkpoint.
struct Config {
  std::string task = "even-bits";  ///< even-bits or mnist
  ModelConfig model;
  DataConfig data;
  TrainConfig train;
  LogConfig log;
  EvalConfig eval;
};

/// One key=value assignment and where it came from ("file.yaml:3:5", "--set", "--lr").
struct Setting {
  std::string key;
  std::string value;
  std::string origin;
};

/// A documented config key with its current value, for --help and the reference.
struct KeyInfo {
  std::string key;
  std::string help;
  std::string value;
};

/// Reads a YAML config file into settings (not yet applied); errors carry file:line:col.
std::vector<Setting> read_config_file(const std::string& path);

/// Same for YAML text held in memory (a checkpoint's config); `name` prefixes errors.
std::vector<Setting> read_config_text(const std::string& yaml, const std::string& name);

/// The task the last "task" setting names, else `fallback`.
std::string task_named(const std::vector<Setting>& settings, const std::string& fallback);

/// Parses a --set argument "section.key=value".
Setting parse_set_argument(const std::string& text);

/// The one setter: parses and range-checks `setting.value` into `config`; throws ConfigError.
void apply_setting(Config& config, const Setting& setting);

/// Applies settings in order (later ones win).
void apply_settings(Config& config, const std::vector<Setting>& settings);

/// Cross-field checks that no single key can make (e.g. steps and epochs both 0).
void validate(const Config& config);

/// The check a data-parallel run of `world_size` ranks adds: train.batch_size, the global
/// batch, must split evenly among them. Throws ConfigError.
void validate_world_size(const Config& config, int64_t world_size);

/// A width list as configs and messages write it: "[256, 512]".
std::string format_int_list(const std::vector<int64_t>& values);

/// The resolved config as YAML, every key present; read_config_text(to_yaml(c)) gives back c.
std::string to_yaml(const Config& config);

/// Every key with its help text and its value in `config`.
std::vector<KeyInfo> describe_keys(const Config& config);

}  // namespace gantrain
