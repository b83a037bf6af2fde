// Container logs through a private berthd and the stock docker client: json-file rotation
// (max-size, max-file) with `docker logs`, --tail and -f across rotations, the none and local
// drivers, and bad log options refused with dockerd's wording and nothing created.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "support/support.hpp"

using namespace berth::api::test;
using berth::test::wait_until;
namespace fs = std::filesystem;

namespace {

using berth::test::first_line;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("line " + std::to_string(i));
  return v;
}

// A shell loop printing "line 0" .. "line N-1", each after `pause` (busybox sleep).
std::string printer(int n, const std::string& pause = "") {
  std::string body = pause.empty() ? "" : "sleep " + pause + "; ";
  return "i=0; while [ $i -lt " + std::to_string(n) + " ]; do " + body + "echo line $i; i=$((i+1)); done";
}

class LogDrivers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(kDocker28));
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = d.docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    std::istringstream ss(d.docker({"ps", "-aq", "--no-trunc"}).out);
    for (std::string id; std::getline(ss, id);)
      if (!id.empty()) d.docker({"rm", "-f", id});
  }
  std::string run_detached(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    auto r = d.docker(args);
    EXPECT_EQ(r.status, 0) << r.err << d.log();
    return first_line(r.out);
  }
  void wait_exit(const std::string& id) {
    auto w = d.docker({"wait", id});
    EXPECT_EQ(w.status, 0) << w.err;
  }
  std::string dir_of(const std::string& id) { return d.path("data/containers/" + id); }
  Berthd d;
};

}  // namespace

TEST_F(LogDrivers, JsonFileRotatesAndLogsReadsAcrossFiles) {
  std::string id = run_detached({"--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox", "sh", "-c", printer(500)});
  ASSERT_EQ(id.size(), 64u);
  wait_exit(id);
  std::string log = dir_of(id) + "/" + id + "-json.log";
  ASSERT_TRUE(fs::exists(log));
  ASSERT_TRUE(fs::exists(log + ".1"));
  EXPECT_FALSE(fs::exists(log + ".2"));
  int files = 0;
  for (auto& e : fs::directory_iterator(dir_of(id)))
    if (e.path().filename().string().starts_with(id + "-json.log")) {
      ++files;
      EXPECT_LE(fs::file_size(e.path()), 1000u) << e.path();
    }
  EXPECT_EQ(files, 2);
  // The newest lines, in order, none repeated, ending with the last.
  auto all = lines_of(d.docker({"logs", id}).out);
  ASSERT_GT(all.size(), 5u);
  int first = std::stoi(all[0].substr(5));
  EXPECT_GT(first, 0);
  EXPECT_EQ(all, numbered(first, 500));
  EXPECT_EQ(lines_of(d.docker({"logs", "--tail", "3", id}).out), numbered(497, 500));
  // --until before the container ran: nothing.
  EXPECT_EQ(d.docker({"logs", "--until", "2000-01-01T00:00:00Z", id}).out, "");
  EXPECT_EQ(lines_of(d.docker({"logs", "--since", "2000-01-01T00:00:00Z", "--tail", "1", id}).out), numbered(499, 500));
  auto cfg = nlohmann::json::parse(d.docker({"inspect", "-f", "{{json .HostConfig.LogConfig}}", id}).out);
  EXPECT_EQ(cfg["Type"], "json-file");
  EXPECT_EQ(cfg["Config"]["max-size"], "1k");
  EXPECT_EQ(cfg["Config"]["max-file"], "2");
}

TEST_F(LogDrivers, DefaultsAreShownAndFollowCrossesRotations) {
  EXPECT_EQ(d.docker({"info", "--format", "{{.LoggingDriver}}"}).out, "json-file\n");
  // The follower is attached before the first line; the lines come slowly enough for it to
  // keep up, across many rotations of a 1k file.
  std::string id = run_detached({"--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox", "sh", "-c",
                                 "sleep 1; " + printer(200, "0.01")});
  auto f = d.docker({"logs", "-f", id});
  EXPECT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(lines_of(f.out), numbered(0, 200));
  wait_exit(id);
  std::string plain = run_detached({"busybox", "true"});
  auto cfg = nlohmann::json::parse(d.docker({"inspect", "-f", "{{json .HostConfig.LogConfig}}", plain}).out);
  EXPECT_EQ(cfg, (nlohmann::json{{"Type", "json-file"}, {"Config", {{"max-file", "3"}, {"max-size", "10m"}}}}));
}

TEST_F(LogDrivers, NoneKeepsNoLog) {
  std::string id = run_detached({"--log-driver", "none", "busybox", "echo", "hi"});
  wait_exit(id);
  auto logs = d.docker({"logs", id});
  EXPECT_NE(logs.status, 0);
  EXPECT_NE(logs.err.find("configured logging driver does not support reading"), std::string::npos) << logs.err;
  EXPECT_FALSE(fs::exists(dir_of(id) + "/" + id + "-json.log"));
  EXPECT_EQ(d.docker({"inspect", "-f", "{{.HostConfig.LogConfig.Type}} {{.LogPath}}", id}).out, "none \n");
}

TEST_F(LogDrivers, LocalDriverRotatesAndReads) {
  std::string id = run_detached({"--log-driver", "local", "--log-opt", "max-size=1k", "--log-opt", "max-file=2", "busybox",
                                 "sh", "-c", printer(300)});
  wait_exit(id);
  std::string log = dir_of(id) + "/local-logs/container.log";
  ASSERT_TRUE(fs::exists(log));
  EXPECT_TRUE(fs::exists(log + ".1"));
  EXPECT_FALSE(fs::exists(log + ".2"));
  EXPECT_LE(fs::file_size(log), 1000u);
  auto all = lines_of(d.docker({"logs", id}).out);
  ASSERT_GT(all.size(), 5u);
  EXPECT_EQ(all, numbered(std::stoi(all[0].substr(5)), 300));
  EXPECT_EQ(lines_of(d.docker({"logs", "--tail", "2", id}).out), numbered(298, 300));
}

TEST_F(LogDrivers, BadOptionsCreateNothing) {
  struct Case {
    std::vector<std::string> flags;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"--log-opt", "foo=1"}, "unknown log opt 'foo' for json-file log driver"},
      {{"--log-driver", "syslog"}, "logger: no log driver named 'syslog' is registered"},
      {{"--log-opt", "max-size=lots"}, "invalid size: 'lots'"},
      {{"--log-opt", "max-file=0"}, "max-file cannot be less than 1"},
      {{"--log-driver", "local", "--log-opt", "tag=x", "--log-opt", "bar=2"}, "unknown log opt 'bar' for log driver local"},
  };
  for (auto& c : cases) {
    std::vector<std::string> args = {"run", "--name", "bad"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    args.insert(args.end(), {"busybox", "true"});
    auto r = d.docker(args);
    EXPECT_EQ(r.status, 125) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(d.docker({"ps", "-aq"}).out, "");
  }
  EXPECT_TRUE(fs::is_empty(d.path("data/containers")));
}

TEST(LogDriverDaemon, UnknownDriverOrOptsFailStartUp) {
  berth::test::TempDir dir("berth-logcfg");
  auto check = [&](const std::string& text, const std::string& needle) {
    berth::test::write_text(dir / "daemon.json", text);
    auto r = berth::test::run({berth::test::bin("berthd"), "--validate", "--config-file", dir / "daemon.json"});
    EXPECT_NE(r.status, 0) << text;
    EXPECT_NE((r.out + r.err).find(needle), std::string::npos) << r.out << r.err;
  };
  check(R"({"log-driver": "syslog"})", "syslog");
  check(R"({"log-opts": {"max-size": "huge"}})", "invalid size: 'huge'");
  check(R"({"log-driver": "local", "log-opts": {"foo": "1"}})", "unknown log opt 'foo' for log driver local");
  berth::test::write_text(dir / "daemon.json", R"({"log-driver": "local", "log-opts": {"max-file": "2"}})");
  auto ok = berth::test::run({berth::test::bin("berthd"), "--validate", "--config-file", dir / "daemon.json"});
  EXPECT_EQ(ok.status, 0) << ok.err;
}
