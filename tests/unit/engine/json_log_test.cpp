// Docker's json-file log: lines written by the shim, read back for logs and attach.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/fs.hpp"
#include "engine/exit_record.hpp"
#include "engine/json_log.hpp"
#include "engine/log_reader.hpp"

using namespace berth::engine;

TEST(JsonLog, LineShapeAndRoundTrip) {
  auto line = json_log_line("stdout", "hi \"there\"\n", "2026-11-29T22:15:46.123456789Z");
  EXPECT_EQ(line, "{\"log\":\"hi \\\"there\\\"\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-29T22:15:46.123456789Z\"}\n");
  auto e = parse_json_log_line(line.substr(0, line.size() - 1));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->log, "hi \"there\"\n");
  EXPECT_EQ(e->stream, "stdout");
  EXPECT_FALSE(parse_json_log_line("{\"log\":\"torn"));
  // Bytes that are not UTF-8 never lose the line.
  EXPECT_TRUE(parse_json_log_line(json_log_line("stderr", "\xff\xfe\n", "t")));
}

TEST(JsonLog, TimesHaveNanoseconds) {
  std::chrono::system_clock::time_point t{std::chrono::nanoseconds(1764454546000000007LL)};
  EXPECT_EQ(rfc3339_nano(t), "2025-11-29T22:15:46.000000007Z");
}

TEST(JsonLog, SplitterKeepsPartialLines) {
  LineSplitter s;
  std::vector<std::string> got;
  auto emit = [&](std::string_view l) { got.emplace_back(l); };
  s.feed("a\nb", emit);
  s.feed("c\n\nd", emit);
  EXPECT_EQ(got, (std::vector<std::string>{"a\n", "bc\n", "\n"}));
  s.flush(emit);
  EXPECT_EQ(got.back(), "d");
}

TEST(JsonLog, SplitterCutsLongLinesIn16KiBPieces) {
  LineSplitter s;
  std::vector<std::string> got;
  auto emit = [&](std::string_view l) { got.emplace_back(l); };
  s.feed("short\n" + std::string(20000, 'x'), emit);
  s.feed(std::string(20000, 'y') + "\nrest", emit);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "short\n");
  EXPECT_EQ(got[1], std::string(16384, 'x'));
  EXPECT_EQ(got[2], std::string(3616, 'x') + std::string(12768, 'y'));
  EXPECT_EQ(got[3], std::string(7232, 'y') + "\n");
  s.flush(emit);
  EXPECT_EQ(got.back(), "rest");
  // 16 KiB and its newline are one line still, however the bytes come.
  got.clear();
  s.feed(std::string(16384, 'z'), emit);
  EXPECT_TRUE(got.empty());
  s.feed("\n", emit);
  EXPECT_EQ(got, (std::vector<std::string>{std::string(16384, 'z') + "\n"}));
}

TEST(JsonLog, ReaderTailsAndEnds) {
  std::string dir = std::filesystem::temp_directory_path() / ("berth-jsonlog-" + std::to_string(getpid()));
  ASSERT_TRUE(berth::mkdir_p(dir));
  std::string path = dir + "/x-json.log";
  std::string text;
  for (int i = 0; i < 5; ++i) text += json_log_line(i % 2 ? "stderr" : "stdout", std::to_string(i) + "\n", "t");
  ASSERT_TRUE(berth::write_file_atomic(path, text + "{\"log\":\"par"));
  auto r = LogReader::open(dir, LogFile{LogFormat::JsonFile, path}, true, false);
  ASSERT_TRUE(r) << r.error().what();
  auto last2 = r->read_tail(2);
  ASSERT_TRUE(last2);
  ASSERT_EQ(last2->size(), 2u);
  EXPECT_EQ((*last2)[0].log, "3\n");
  EXPECT_EQ((*last2)[1].stream, "stdout");
  EXPECT_FALSE(r->ended());
  ASSERT_TRUE(write_exit_record(dir, ExitRecord{3, "t", ""}));
  EXPECT_TRUE(r->ended());
  auto rec = read_exit_record(dir);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->exit_code, 3);
  ASSERT_TRUE(berth::remove_all(dir));
}
