// Rotated logs: the writer's file names and bounds, and the reader across rotated files, in
// order, for both formats, including a follower that reads while the writer rotates.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/fs.hpp"
#include "engine/local_log.hpp"
#include "engine/log_reader.hpp"
#include "engine/log_writer.hpp"
#include "engine/rotating_file.hpp"

using namespace berth::engine;
namespace fs = std::filesystem;

namespace {

struct Dir {
  std::string path = fs::temp_directory_path() / ("berth-logrot-" + std::to_string(getpid()));
  Dir() {
    (void)berth::remove_all(path);
    EXPECT_TRUE(berth::mkdir_p(path));
  }
  ~Dir() { (void)berth::remove_all(path); }
};

std::string line(int i) { return "line " + std::to_string(i) + "\n"; }

std::vector<std::string> logs_of(const std::vector<LogEntry>& es) {
  std::vector<std::string> out;
  for (auto& e : es) out.push_back(e.log);
  return out;
}

std::vector<std::string> lines(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(line(i));
  return out;
}

}  // namespace

TEST(LogRotation, FilesNamedAsDockerAndBounded) {
  Dir d;
  std::string path = d.path + "/id-json.log";
  auto f = RotatingFile::open(path, Rotation{100, 3});
  ASSERT_TRUE(f) << f.error().what();
  std::string rec(30, 'x');
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(f->append(rec));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_TRUE(fs::exists(path + ".1"));
  EXPECT_TRUE(fs::exists(path + ".2"));
  EXPECT_FALSE(fs::exists(path + ".3"));
  for (auto* p : {"", ".1", ".2"}) EXPECT_LE(fs::file_size(path + p), 100u) << p;
  // Whole records only: 3 per 100-byte file.
  EXPECT_EQ(fs::file_size(path + ".1"), 90u);
  auto order = log_files_in_order(path);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0].first, path + ".2");
  EXPECT_EQ(order[2].first, path);
  // A record larger than max-size still goes, alone in its file.
  ASSERT_TRUE(f->append(std::string(300, 'y')));
  EXPECT_EQ(fs::file_size(path), 300u);
}

TEST(LogRotation, ReaderReadsRotatedFilesInOrderAndTails) {
  Dir d;
  LogConfig cfg{"json-file", {{"max-size", "200"}, {"max-file", "3"}}};
  auto w = open_log_writer(cfg, d.path, "id");
  ASSERT_TRUE(w) << w.error().what();
  for (int i = 0; i < 40; ++i) (*w)->write(i % 2 ? "stderr" : "stdout", line(i));
  LogFile file{LogFormat::JsonFile, d.path + "/id-json.log"};
  ASSERT_TRUE(fs::exists(file.path + ".2"));
  auto r = LogReader::open(d.path, file, false, false);
  ASSERT_TRUE(r) << r.error().what();
  auto all = r->read_tail(-1);
  ASSERT_TRUE(all);
  auto got = logs_of(*all);
  ASSERT_FALSE(got.empty());
  // The newest lines, in order, none repeated, ending with the last one written.
  int first = std::stoi(got[0].substr(5));
  EXPECT_GT(first, 0);
  EXPECT_EQ(got, lines(first, 40));
  auto r2 = LogReader::open(d.path, file, false, false);
  ASSERT_TRUE(r2);
  auto tail = r2->read_tail(3);
  ASSERT_TRUE(tail);
  EXPECT_EQ(logs_of(*tail), lines(37, 40));
}

TEST(LogRotation, FollowerKeepsGoingAcrossRotations) {
  for (int max_file : {1, 2, 4}) {
    Dir d;
    // About 5 records per file: at most one rotation between two reads.
    LogConfig cfg{"json-file", {{"max-size", "400"}, {"max-file", std::to_string(max_file)}}};
    auto w = open_log_writer(cfg, d.path, "id");
    ASSERT_TRUE(w);
    LogFile file{LogFormat::JsonFile, d.path + "/id-json.log"};
    (*w)->write("stdout", line(0));
    auto r = LogReader::open(d.path, file, true, false);
    ASSERT_TRUE(r) << r.error().what();
    std::vector<std::string> got;
    int n = 1;
    // One rotation at most between reads: a follower that keeps up loses nothing, even when
    // only one file is kept.
    for (int round = 0; round < 60; ++round) {
      auto more = r->read_new();
      ASSERT_TRUE(more) << more.error().what();
      for (auto& s : logs_of(*more)) got.push_back(s);
      for (int k = 0; k < 1 + round % 2; ++k) (*w)->write("stdout", line(n++));
    }
    auto more = r->read_new();
    ASSERT_TRUE(more);
    for (auto& s : logs_of(*more)) got.push_back(s);
    EXPECT_EQ(got, lines(0, n)) << "max-file " << max_file;
  }
}

TEST(LogRotation, LocalFormatRoundTripsAndRotates) {
  auto rec = local_log_record("stderr", "hello\n", 1764454546000000007LL);
  std::vector<LogEntry> out;
  EXPECT_EQ(decode_local_records(rec.substr(0, rec.size() - 1), out), 0u);  // torn: nothing yet
  EXPECT_EQ(decode_local_records(rec + rec, out), 2 * rec.size());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].stream, "stderr");
  EXPECT_EQ(out[0].log, "hello\n");
  EXPECT_EQ(out[0].time, "2025-11-29T22:15:46.000000007Z");
  EXPECT_EQ(log_time_ns(out[0].time).value(), 1764454546000000007LL);

  Dir d;
  LogConfig cfg{"local", {{"max-size", "100"}, {"max-file", "2"}}};
  auto w = open_log_writer(cfg, d.path, "id");
  ASSERT_TRUE(w) << w.error().what();
  for (int i = 0; i < 30; ++i) (*w)->write("stdout", line(i));
  auto file = log_file_for(cfg, d.path, "id");
  ASSERT_TRUE(file);
  EXPECT_TRUE(fs::exists(file->path + ".1"));
  EXPECT_FALSE(fs::exists(file->path + ".2"));
  auto r = LogReader::open(d.path, *file, false, false);
  ASSERT_TRUE(r);
  auto all = r->read_tail(-1);
  ASSERT_TRUE(all);
  auto got = logs_of(*all);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got, lines(std::stoi(got[0].substr(5)), 30));
}

TEST(LogRotation, NoneKeepsNothing) {
  Dir d;
  auto w = open_log_writer(LogConfig{"none", {}}, d.path, "id");
  ASSERT_TRUE(w);
  (*w)->write("stdout", "x\n");
  EXPECT_TRUE(fs::is_empty(d.path));
}
