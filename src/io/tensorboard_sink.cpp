#include "gantrain/io/tensorboard_sink.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <utility>

namespace gantrain {
namespace {

namespace fs = std::filesystem;

std::string hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

TensorBoardSink::TensorBoardSink(std::string directory, MetricsSchema schema)
    : directory_(std::move(directory)), schema_(std::move(schema)) {}

void TensorBoardSink::open(const std::vector<std::string>& columns, int64_t resume_step) {
  (void)columns;  // every value of a row becomes a scalar; the tag says what it is
  std::error_code ec;
  fs::create_directories(directory_, ec);  // on failure the writer reports it, once
  const std::string prefix = (fs::path(directory_) / "events.out.tfevents.").string() +
                             std::to_string(std::time(nullptr)) + "." + hostname() + "." +
                             std::to_string(::getpid()) + ".";
  std::string path;
  for (int n = 0; path.empty() || fs::exists(path, ec); ++n) path = prefix + std::to_string(n);
  writer_.emplace(path);
  // A live TensorBoard still holds the steps after resume_step from the old files: this drops them.
  if (resume_step > 0) writer_->session_start(resume_step + 1);
}

void TensorBoardSink::write(const MetricsRow& row) {
  if (!writer_) return;
  for (const auto& [column, value] : row.values) {
    const std::string tag = schema_.tensorboard_tag(column);
    if (!tag.empty()) writer_->scalar(row.step, tag, static_cast<float>(value));
  }
}

void TensorBoardSink::write_image(int64_t step, const std::string& tag, const std::string& png) {
  if (writer_) writer_->image(step, tag, png);
}

void TensorBoardSink::write_text(int64_t step, const std::string& tag, const std::string& text) {
  if (writer_) writer_->text(step, tag, text);
}

void TensorBoardSink::flush() {
  if (writer_) writer_->flush();
}

}  // namespace gantrain
