#pragma once
/// TensorBoard event files, written without TensorFlow: the TFRecord framing (length, masked
/// CRC-32C of the length, data, masked CRC-32C of the data) around hand-encoded Event protocol
/// buffers (tensorflow/core/util/event.proto, tensorflow/core/framework/summary.proto).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace gantrain {

/// CRC-32C (Castagnoli) of `size` bytes, continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

/// TFRecord's masked CRC-32C: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t size);

/// One summary value of an event, as read back.
struct EventValue {
  std::string tag;
  std::optional<float> scalar;  ///< simple_value
  std::string image_png;        ///< image: encoded_image_string
  int64_t image_width = 0, image_height = 0;
  std::optional<std::string> text;  ///< a string tensor (text plugin)
  std::string plugin;               ///< metadata.plugin_data.plugin_name
};

/// One event of an event file, as read back.
struct Event {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;    ///< set on the file's first event ("brain.Event:2")
  bool session_start = false;  ///< a SessionLog START (a restart: TensorBoard drops steps >= step)
  std::vector<EventValue> values;
  std::string record;          ///< the record's serialized Event bytes, unparsed
};

/// Every event of an event file; throws gantrain::Error naming the file and offset on bad
/// framing, a CRC mismatch or an Event it cannot parse. A torn last record (a killed writer) is
/// dropped, not an error.
std::vector<Event> read_event_file(const std::string& path);

/// Writes one event file. After the first failed write it logs one warning, writes nothing more
/// and never throws: losing TensorBoard output must not stop training.
class EventFileWriter {
 public:
  /// Creates (truncates) `path` and writes the file-version event.
  explicit EventFileWriter(std::string path);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  /// A scalar (simple_value).
  void scalar(int64_t step, const std::string& tag, float value);
  /// A PNG image; its width and height are read from the PNG header.
  void image(int64_t step, const std::string& tag, const std::string& png);
  /// Markdown text (TensorBoard's text plugin).
  void text(int64_t step, const std::string& tag, const std::string& markdown);
  /// A SessionLog START at `step`: a live TensorBoard drops what it holds at steps >= step.
  void session_start(int64_t step);
  /// An Event's serialized bytes written as they are (Event::record; the tests' hand-made events).
  void raw_record(const std::string& event_bytes);
  /// fflush; a failure here (a full disk often shows only now) stops the writer like any other.
  void flush();
  /// False once a write has failed.
  bool ok() const { return file_ != nullptr && !failed_; }
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& event_bytes);
  std::string path_;
  std::FILE* file_ = nullptr;
  bool failed_ = false;
};

/// Makes the event files in `directory` agree with a session that continues from `step`: each
/// file holding events after `step` is rewritten atomically without them; for a fresh run
/// (step 0: an earlier start that never reached a checkpoint) the files are removed. A file
/// that cannot be read is left as it is, with a warning. Never throws.
void trim_event_files(const std::string& directory, int64_t step);

}  // namespace gantrain
