// The TensorBoard event file codec: CRC-32C, the records written and read back, damaged files.
#include "gantrain/io/event_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "event_file_support.h"
#include "expect_throw.h"
#include "gantrain/error.h"

namespace gantrain {
namespace {

namespace fs = std::filesystem;

using testing_support::make_png;
using testing_support::read_text;
using testing_support::steps_of;
using testing_support::TensorBoardTest;
using testing_support::write_bytes;

TEST(Crc32cTest, MatchesPublishedVectors) {
  // RFC 3720 appendix B.4, and the customary check value of "123456789".
  std::vector<unsigned char> bytes(32, 0x00);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x8A9136AAu);
  std::fill(bytes.begin(), bytes.end(), 0xFF);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x62A8AB43u);
  for (size_t i = 0; i < 32; ++i) bytes[i] = static_cast<unsigned char>(i);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x46DD794Eu);
  for (size_t i = 0; i < 32; ++i) bytes[i] = static_cast<unsigned char>(31 - i);
  EXPECT_EQ(crc32c(bytes.data(), bytes.size()), 0x113FDB5Cu);
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(Crc32cTest, IncrementalEqualsOneShotAndMaskIsTFRecords) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  for (size_t cut = 0; cut <= text.size(); cut += 7)
    EXPECT_EQ(crc32c(text.data() + cut, text.size() - cut, crc32c(text.data(), cut)),
              crc32c(text.data(), text.size()));
  const uint32_t crc = crc32c("123456789", 9);
  EXPECT_EQ(masked_crc32c("123456789", 9), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST_F(TensorBoardTest, WritesEveryKindAndReadsItBack) {
  const std::string png = make_png(5, 3, 3), gray = make_png(2, 7, 1);
  const double before =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  {
    EventFileWriter w(path("events.out.tfevents.1"));
    w.scalar(10, "loss/d", 0.5f);
    w.scalar(10, "loss/g", -1.25f);
    w.image(20, "samples", png);
    w.image(20, "gray", gray);
    w.text(0, "config", "task: mnist\n");
    w.session_start(31);
    w.scalar(1LL << 40, "big", 3.0f);
    w.flush();
    EXPECT_TRUE(w.ok());
  }
  const auto events = read_event_file(path("events.out.tfevents.1"));
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(events[0].values.empty());
  EXPECT_GE(events[0].wall_time, before - 1);
  EXPECT_LE(events[0].wall_time, before + 60);
  EXPECT_EQ(steps_of(events), (std::vector<int64_t>{0, 10, 10, 20, 20, 0, 31, 1LL << 40}));

  ASSERT_EQ(events[1].values.size(), 1u);
  EXPECT_EQ(events[1].values[0].tag, "loss/d");
  EXPECT_EQ(events[1].values[0].scalar, 0.5f);
  EXPECT_EQ(events[2].values[0].scalar, -1.25f);

  const EventValue& image = events[3].values.at(0);
  EXPECT_EQ(image.tag, "samples");
  EXPECT_FALSE(image.scalar);
  EXPECT_EQ(image.image_png, png);
  EXPECT_EQ(image.image_width, 5);
  EXPECT_EQ(image.image_height, 3);
  EXPECT_EQ(events[4].values.at(0).image_width, 2);
  EXPECT_EQ(events[4].values.at(0).image_height, 7);

  const EventValue& text = events[5].values.at(0);
  EXPECT_EQ(text.tag, "config");
  EXPECT_EQ(text.text, "task: mnist\n");
  EXPECT_EQ(text.plugin, "text");

  EXPECT_TRUE(events[6].session_start);
  EXPECT_TRUE(events[6].values.empty());
  EXPECT_FALSE(events[5].session_start);
  EXPECT_EQ(events[7].values.at(0).scalar, 3.0f);
}

TEST_F(TensorBoardTest, RawRecordsCopyEventsAndUnknownFieldsAreSkipped) {
  // Event {wall_time 1.0, step 7, source_metadata (10) {writer "x"}, an unknown varint (20),
  // fixed32 (21) and fixed64 (22), summary {value {tag "a", node_name (7) "n", simple_value 2}}}.
  const std::string event(
      "\x09\x00\x00\x00\x00\x00\x00\xf0\x3f"
      "\x10\x07"
      "\x52\x03\x0a\x01x"
      "\xa0\x01\x96\x01"
      "\xad\x01\x01\x02\x03\x04"
      "\xb1\x01\x01\x02\x03\x04\x05\x06\x07\x08"
      "\x2a\x0d\x0a\x0b\x0a\x01" "a" "\x3a\x01" "n" "\x15\x00\x00\x00\x40",
      51);
  {
    EventFileWriter w(path("raw"));
    w.raw_record(event);
  }
  const auto events = read_event_file(path("raw"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].record, event);
  EXPECT_EQ(events[1].wall_time, 1.0);
  EXPECT_EQ(events[1].step, 7);
  ASSERT_EQ(events[1].values.size(), 1u);
  EXPECT_EQ(events[1].values[0].tag, "a");
  EXPECT_EQ(events[1].values[0].scalar, 2.0f);

  // A group (wire type 3) is not something an Event holds.
  {
    EventFileWriter w(path("group"));
    w.raw_record(std::string("\x10\x07\x1b", 3));
  }
  EXPECT_THROW_MSG(read_event_file(path("group")), Error, "cannot parse Event: unsupported wire type 3");
}

TEST_F(TensorBoardTest, AFlippedByteIsAnErrorNamingTheFile) {
  const std::string p = three_scalars();
  const std::string good = read_text(p);
  std::string bad = good;
  bad[bad.size() - 10] ^= 0x20;  // inside the last record's data
  write_bytes(p, bad);
  EXPECT_THROW_MSG(read_event_file(p), Error, p + ": record at offset ");
  EXPECT_THROW_MSG(read_event_file(p), Error, "data checksum mismatch");

  bad = good;
  bad[2] ^= 0x01;  // the first record's length
  write_bytes(p, bad);
  EXPECT_THROW_MSG(read_event_file(p), Error, p + ": record at offset 0: length checksum mismatch");

  EXPECT_THROW_MSG(read_event_file(path("missing")), Error, path("missing") + ": cannot open");
}

TEST_F(TensorBoardTest, ATornLastRecordIsDropped) {
  const std::string p = three_scalars();
  const std::string whole = read_text(p);
  ASSERT_EQ(read_event_file(p).size(), 4u);
  for (size_t cut : {1u, 4u, 10u, 20u}) {  // into the trailing CRC, the data, the header
    write_bytes(p, whole.substr(0, whole.size() - cut));
    EXPECT_EQ(steps_of(read_event_file(p)), (std::vector<int64_t>{0, 1, 2})) << "cut " << cut;
  }
  write_bytes(p, "");
  EXPECT_TRUE(read_event_file(p).empty());
}

TEST_F(TensorBoardTest, AFailingWriterWarnsAndGoesOnWithoutThrowing) {
  // /dev/full takes the buffered writes and fails at fflush with ENOSPC.
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  EventFileWriter full("/dev/full");
  EXPECT_NO_THROW(full.scalar(1, "x", 1.0f));
  EXPECT_NO_THROW(full.flush());
  EXPECT_FALSE(full.ok());
  EXPECT_NO_THROW(full.scalar(2, "x", 2.0f));
  EXPECT_NO_THROW(full.flush());

  EventFileWriter missing(path("no/such/dir/events"));
  EXPECT_FALSE(missing.ok());
  EXPECT_NO_THROW(missing.text(1, "t", "x"));
  EXPECT_NO_THROW(missing.flush());
}

}  // namespace
}  // namespace gantrain
