#include "gantrain/run/run_writer.h"

#include <spdlog/spdlog.h>

#include <ctime>

#include "gantrain/build_info.h"
#include "gantrain/distributed/gradient_sync.h"
#include "gantrain/distributed/process_group.h"
#include "gantrain/error.h"
#include "gantrain/io/atomic_file.h"
#include "gantrain/io/checkpoint.h"
#include "gantrain/io/event_file.h"
#include "gantrain/io/run_info.h"
#include "gantrain/io/sinks.h"
#include "gantrain/report/report.h"

namespace gantrain {
namespace {

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Text as a Markdown code block (TensorBoard's text plugin renders Markdown).
std::string markdown_code(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out += "    " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// The end-of-run report is a view of the run: failing to write it must not fail the run.
void write_report_logged(const RunDir& dir) {
  try {
    write_file_atomic(dir.report_path(), build_report(dir.root));
    spdlog::info("wrote {}", dir.report_path());
  } catch (const Error& e) {
    spdlog::warn("no report: {}", e.what());
  }
}

std::vector<std::unique_ptr<MetricsSink>> open_sinks(TrainingRun& run, const RunDir& dir,
                                                     const MetricsSchema& schema) {
  const Config& config = run.config();
  auto sinks = make_sinks(
      {dir.root, schema, run.total_steps(), run.batches_per_epoch() > 0, config.log.tensorboard});
  // A resumed session's config goes at its first step: a second resume from the same
  // checkpoint trims it away with the rest of the session instead of doubling it.
  const int64_t config_step = run.start_step() == 0 ? 0 : run.start_step() + 1;
  for (auto& sink : sinks) {
    sink->open(schema.names(), run.start_step());
    sink->write_text(config_step, "config", markdown_code(to_yaml(config)));
    sink->flush();
  }
  return sinks;
}

}  // namespace

RunWriter::RunWriter(TrainingRun& run, const std::function<void(const std::string&)>& on_run_dir)
    : run_(run),
      lock_(run.config().log.out),
      metrics_(run),
      dir_(create_run_dir(run.config().log.out)),
      clock_(run.trainer().step()) {
  if (on_run_dir) on_run_dir(dir_.root);
  write_file_atomic(dir_.config_path(), to_yaml(run_.config()));
  for (const auto& [name, bytes] : run_.task().data_files())
    write_file_atomic(dir_.root + "/" + name, bytes);
  write_run_info(dir_.run_info_path(),
                 {GANTRAIN_VERSION, build_description(), run_.device().str(),
                  at::get_num_threads(), utc_now_iso8601(), run_.start_step(),
                  run_.task().title()});
  // A run resumed from an older checkpoint redoes the steps after it: nothing of the abandoned
  // future may stay (metrics.csv's rows go when its sink opens).
  if (run_.start_step() > 0) drop_steps_after(dir_, run_.start_step());
  // Whether or not this session writes TensorBoard files, older ones must not show steps it
  // redoes.
  trim_event_files(dir_.root, run_.start_step());
  sinks_ = open_sinks(run_, dir_, metrics_.schema());
  clock_ = IntervalClock(run_.trainer().step());  // training starts now
}

RunWriter::~RunWriter() = default;

void RunWriter::announce() const {
  const Config& config = run_.config();
  distributed::ProcessGroup* group = run_.group();
  const std::string batch =
      group ? fmt::format("global batch {} = {} ranks x {}", config.train.batch_size,
                          group->world_size(), config.train.batch_size / group->world_size())
            : fmt::format("batch {}", config.train.batch_size);
  spdlog::info("{} on {}: {} steps, {}, run directory {}", run_.task().title(), run_.device().str(),
               run_.total_steps(), batch, dir_.root);
}

void RunWriter::write_row(const LogPoint& point) {
  // Speed over the last interval: what the run does now, not since start-up.
  MetricsRow row = metrics_.row(point, clock_.steps_per_second(point.step));
  row.values[column::kElapsedS] = clock_.elapsed();
  for (auto& sink : sinks_) {
    sink->write(row);
    sink->flush();
  }
  if (!row.eval_shown.empty())
    if (const std::string pairs = run_.evaluator()->closest_pairs_png(); !pairs.empty())
      write_file_atomic(dir_.closest_pairs_path(), pairs);
  // The next interval's speed is training speed: task metrics, eval and IO excluded.
  clock_.restart(point.step);
}

void RunWriter::write_samples() {
  clock_.untimed([&] {
    const Config& config = run_.config();
    const int64_t step = run_.trainer().step();
    const SampleKind kind = run_.task().sample_kind();
    const std::string bytes = run_.task().encode_samples(
        run_.generate(run_.grid_latents()), config.log.grid_nrow, config.log.grid_scale);
    write_file_atomic(dir_.sample_path(step, choice_name(kind)), bytes);
    for (auto& sink : sinks_) {
      if (kind == SampleKind::kImageGrid)
        sink->write_image(step, "samples", bytes);
      else
        sink->write_text(step, "samples", bytes);
      sink->flush();
    }
  });
}

void RunWriter::write_checkpoint(torch::serialize::OutputArchive& archive) {
  clock_.untimed([&] {
    save_checkpoint(archive, dir_, run_.trainer().step(), run_.config().log.keep_checkpoints);
  });
}

void RunWriter::finish() {
  const Trainer& trainer = run_.trainer();
  const double seconds = clock_.elapsed();
  const int64_t session_steps = trainer.step() - run_.start_step();
  if (run_.finished()) {
    const std::string summary = metrics_.summary();
    const std::string steps =
        run_.start_step() == 0
            ? fmt::format("{} steps in {:.3f} s", trainer.step(), seconds)
            : fmt::format("{} steps, the last {} in {:.3f} s (resumed at step {})", trainer.step(),
                          session_steps, seconds, run_.start_step());
    spdlog::info("done: {}{}; checkpoint {}", steps, summary.empty() ? "" : "; " + summary,
                 dir_.latest_checkpoint());
  }
  if (const distributed::GradientSync* sync = trainer.gradient_sync(); sync && session_steps > 0)
    spdlog::info("gradient all-reduce: {:.1f} kB per step, {:.2f} ms per step ({:.0f}% of the "
                 "{:.1f} s of this session)",
                 static_cast<double>(sync->bytes_reduced()) / 1e3 / session_steps,
                 sync->seconds_reducing() * 1e3 / session_steps,
                 100 * sync->seconds_reducing() / seconds, seconds);
  if (run_.config().log.report) write_report_logged(dir_);
}

}  // namespace gantrain
