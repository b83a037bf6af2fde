#include <gtest/gtest.h>

#include <csignal>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/process.hpp"

using namespace berth;

TEST(Signal, ParsesNamesAndNumbers) {
  EXPECT_EQ(*parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(*parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(*parse_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(*parse_signal("9"), 9);
  EXPECT_EQ(*parse_signal("RTMIN+1"), SIGRTMIN + 1);
  EXPECT_FALSE(parse_signal("NOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal(""));
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
}

TEST(Error, WrapBuildsContextChain) {
  Error e = sys_error("mount /proc", EPERM).wrap("create container x");
  EXPECT_EQ(e.message, "create container x: mount /proc");
  // The category is the maker's choice, not a guess from errno.
  EXPECT_EQ(e.kind, ErrorKind::Internal);
  EXPECT_EQ(e.http_status(), 500);
  EXPECT_EQ(sys_error("open state", ENOENT, ErrorKind::NotFound).http_status(), 404);
  EXPECT_NE(e.what().find("Operation not permitted"), std::string::npos);
  EXPECT_EQ(make_error(ErrorKind::NotFound, "x").http_status(), 404);
}

TEST(Fs, AtomicWriteReplacesContent) {
  char tmpl[] = "/tmp/berth-fs-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string p = std::string(tmpl) + "/a/b/file";
  ASSERT_TRUE(mkdir_p(std::string(tmpl) + "/a/b"));
  ASSERT_TRUE(write_file_atomic(p, "one"));
  ASSERT_TRUE(write_file_atomic(p, "two"));
  EXPECT_EQ(*read_file(p), "two");
  EXPECT_FALSE(read_file(p + ".missing"));
  EXPECT_EQ(read_file(p + ".missing").error().kind, ErrorKind::NotFound);
  EXPECT_TRUE(remove_all(tmpl));
  EXPECT_FALSE(path_exists(tmpl));
}

TEST(Fs, DotDotComponents) {
  for (auto p : {"..", "../a", "a/..", "/a/../b", "a//../b"}) EXPECT_TRUE(has_dotdot(p)) << p;
  for (auto p : {"", "/", "a..b", "/a/..b/c", "...", "/a/b../", "./a"}) EXPECT_FALSE(has_dotdot(p)) << p;
}

TEST(Process, StartTimeOfSelf) {
  EXPECT_TRUE(process_start_time(getpid()).has_value());
  EXPECT_TRUE(process_running(getpid()));
  EXPECT_FALSE(process_start_time(0x3fffffff).has_value());
}
