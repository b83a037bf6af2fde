// berth-runtime update and events, end to end on real containers: runc's flags and -r input
// reach the kernel's files, bad input changes nothing, --stats and the event stream (with OOM
// notifications) print runc's JSON.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/fs.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime_fixture.hpp"

namespace berth::test {
namespace {

using nlohmann::json;

// A berth-runtime whose stdout we read line by line while it runs.
class Streaming {
 public:
  explicit Streaming(std::vector<std::string> argv) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(127);
    }
    ::close(out[1]);
    fd_ = out[0];
  }
  ~Streaming() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(fd_);
  }
  // The next complete line, or nullopt when none arrives within timeout.
  std::optional<std::string> line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) != 1) return std::nullopt;
      char b[4096];
      ssize_t n = ::read(fd_, b, sizeof b);
      if (n <= 0) return std::nullopt;
      buf_.append(b, static_cast<size_t>(n));
    }
  }
  // Exit status within timeout, -1 if still running.
  int wait(std::chrono::milliseconds timeout) {
    int st = -1;
    if (!wait_until([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, timeout)) return -1;
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buf_;
};

class CgroupCli : public RuntimeTest {
 protected:
  // dir of the container's cgroup in a v1 controller (or the v2 directory on a v2 host).
  std::string cgroup_dir(int pid, const std::string& controller) {
    auto roots = runtime::probe_cgroup_roots();
    if (!roots) return "";
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
      auto c1 = line.find(':'), c2 = line.find(':', c1 + 1);
      std::string ctrls = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
      for (auto& h : roots->v1)
        for (auto& c : h.controllers)
          if (c == controller && ("," + ctrls + ",").find("," + c + ",") != std::string::npos) return h.mountpoint + path;
      if (ctrls.empty() && roots->v1.empty()) return roots->unified + path;
    }
    return "";
  }
  std::string kernel(int pid, const std::string& controller, const std::string& file) {
    auto t = read_file(cgroup_dir(pid, controller) + "/" + file);
    return t ? trim(*t) : "<" + t.error().what() + ">";
  }
  std::string start_sleeper(const json& resources = json::object()) {
    bundle->config["linux"]["resources"].update(resources);
    std::string id = create_sleeper();
    auto s = rt({"start", id});
    EXPECT_EQ(s.status, 0) << s.err;
    return id;
  }
  void SetUp() override {
    RuntimeTest::SetUp();
    if (runtime::detect_cgroup_layout() == runtime::CgroupLayout::V2) GTEST_SKIP() << "checks v1 controller files";
  }
};

TEST_F(CgroupCli, UpdateFlagsReachTheKernel) {
  std::string id = start_sleeper();
  int pid = pid_of(id);
  ASSERT_GT(pid, 0);
  auto r = rt({"update", "--memory", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--cpu-quota", "20000",
               "--cpu-period", "100000", "--cpu-share", "512", "--pids-limit", "20", "--cpuset-cpus", "0", "--cpuset-mems", "0",
               "--kernel-memory", "64m", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(kernel(pid, "memory", "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(kernel(pid, "memory", "memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(kernel(pid, "memory", "memory.soft_limit_in_bytes"), "33554432");
  EXPECT_EQ(kernel(pid, "cpu", "cpu.cfs_quota_us"), "20000");
  EXPECT_EQ(kernel(pid, "cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(kernel(pid, "cpu", "cpu.shares"), "512");
  EXPECT_EQ(kernel(pid, "pids", "pids.max"), "20");
  EXPECT_EQ(kernel(pid, "cpuset", "cpuset.cpus"), "0");
  // The docker spelling of the shares flag works too.
  ASSERT_EQ(rt({"update", "--cpu-shares", "256", id}).status, 0);
  EXPECT_EQ(kernel(pid, "cpu", "cpu.shares"), "256");
}

TEST_F(CgroupCli, UpdateReadsResourcesFromAFileOrStdin) {
  std::string id = start_sleeper();
  int pid = pid_of(id);
  std::string file = tmp->path() + "/resources.json";
  write_text(file, R"({"pids": {"limit": 30}, "memory": {"limit": 100663296}})");
  auto r = rt({"update", "-r", file, id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(kernel(pid, "pids", "pids.max"), "30");
  EXPECT_EQ(kernel(pid, "memory", "memory.limit_in_bytes"), "100663296");
  // Flags win over the file; "-" reads stdin.
  auto s = rt({"update", "-r", "-", "--pids-limit", "40", id}, R"({"pids": {"limit": 35}, "cpu": {"quota": 30000}})");
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(kernel(pid, "pids", "pids.max"), "40");
  EXPECT_EQ(kernel(pid, "cpu", "cpu.cfs_quota_us"), "30000");
  // The limits in force are recorded with the container, merged into what was there.
  json saved = json::parse(read_text(root + "/" + id + "/state.json"))["config"]["linux"]["resources"];
  EXPECT_EQ(saved["pids"]["limit"], 40);
  EXPECT_EQ(saved["memory"]["limit"], 100663296);
  EXPECT_EQ(saved["cpu"]["quota"], 30000);
  EXPECT_TRUE(saved["devices"].is_array()) << "update dropped the device rules: " << saved.dump();
}

TEST_F(CgroupCli, BadUpdatesAreRefusedAndChangeNothing) {
  std::string id = start_sleeper();
  int pid = pid_of(id);
  ASSERT_EQ(rt({"update", "--pids-limit", "12", id}).status, 0);
  auto notnum = rt({"update", "--pids-limit", "lots", id});
  EXPECT_NE(notnum.status, 0);
  EXPECT_NE(notnum.err.find("--pids-limit"), std::string::npos) << notnum.err;
  auto range = rt({"update", "-r", "-", id}, R"({"pids": {"limit": 99}, "memory": {"swappiness": 500}})");
  EXPECT_NE(range.status, 0);
  EXPECT_NE(range.err.find("linux.resources.memory.swappiness"), std::string::npos) << range.err;
  auto swap = rt({"update", "--memory", "128m", "--memory-swap", "64m", id});
  EXPECT_NE(swap.status, 0);
  EXPECT_NE(swap.err.find("linux.resources.memory.swap"), std::string::npos) << swap.err;
  auto garbage = rt({"update", "-r", "-", id}, "{not json");
  EXPECT_NE(garbage.status, 0);
  EXPECT_NE(garbage.err.find("--resources"), std::string::npos) << garbage.err;
  EXPECT_EQ(kernel(pid, "pids", "pids.max"), "12");
  auto missing = rt({"update", "--pids-limit", "5", "no-such-container"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

TEST_F(CgroupCli, EventsStatsPrintsRuncsStatsObject) {
  std::string id = start_sleeper({{"memory", {{"limit", 134217728}}}, {"pids", {{"limit", 50}}}});
  auto r = rt({"events", "--stats", id});
  ASSERT_EQ(r.status, 0) << r.err;
  json ev = json::parse(r.out);
  EXPECT_EQ(ev["type"], "stats");
  EXPECT_EQ(ev["id"], id);
  json& d = ev["data"];
  EXPECT_EQ(d["pids"]["current"], 1);
  EXPECT_EQ(d["pids"]["limit"], 50);
  EXPECT_EQ(d["memory"]["usage"]["limit"], 134217728);
  EXPECT_GT(d["memory"]["usage"]["usage"].get<uint64_t>(), 0u);
  EXPECT_TRUE(d["cpu"]["usage"]["total"].is_number());
  EXPECT_TRUE(d["blkio"].is_object());
}

TEST_F(CgroupCli, EventsStreamReportsOomAndEndsWithTheContainer) {
  std::string id = start_sleeper({{"memory", {{"limit", 33554432}, {"swap", 33554432}}}});
  Streaming ev({bin("berth-runtime"), "--root", root, "events", "--interval", "200ms", id});
  // The first stats line means the stream is watching.
  auto first = ev.line(std::chrono::seconds(10));
  ASSERT_TRUE(first) << "no stats event";
  EXPECT_EQ(json::parse(*first)["type"], "stats");
  // A hog exec'd into the container is the OOM killer's victim; the container's init lives on.
  auto hog = rt({"exec", id, "tail", "/dev/zero"});
  EXPECT_EQ(hog.status, 137) << hog.err;
  bool oom = false;
  for (int i = 0; i < 100 && !oom; ++i) {
    auto l = ev.line(std::chrono::seconds(10));
    ASSERT_TRUE(l) << "event stream went quiet";
    json j = json::parse(*l);
    EXPECT_EQ(j["id"], id);
    oom = j["type"] == "oom";
  }
  EXPECT_TRUE(oom) << "no oom event";
  EXPECT_EQ(status_of(id), "running");
  ASSERT_EQ(rt({"kill", id, "KILL"}).status, 0);
  EXPECT_EQ(ev.wait(std::chrono::seconds(10)), 0) << "events did not end with the container";
}

TEST_F(CgroupCli, SystemdCgroupPathsMapToSlicesAndAreRemovedWithTheContainer) {
  std::string slice = "berthtest-" + std::to_string(::getpid()) + ".slice";
  std::string id = unique_id("sd");
  bundle->config["linux"]["cgroupsPath"] = slice + ":berth:" + id;
  bundle->config["process"]["args"] = {"sleep", "1000"};
  bundle->write();
  created.push_back(id);
  auto c = run({bin("berth-runtime"), "--root", root, "--systemd-cgroup", "create", "--bundle", bundle->dir, id});
  ASSERT_EQ(c.status, 0) << c.err;
  std::string rel = "/berthtest.slice/" + slice + "/berth-" + id + ".scope";
  std::string proc = read_text("/proc/" + std::to_string(pid_of(id)) + "/cgroup");
  EXPECT_NE(proc.find(":memory:" + rel), std::string::npos) << proc;
  EXPECT_TRUE(is_dir("/sys/fs/cgroup/pids" + rel));
  auto d = rt({"delete", "--force", id});
  ASSERT_EQ(d.status, 0) << d.err;
  // The slices were made for this container: nothing of them is left.
  EXPECT_FALSE(is_dir("/sys/fs/cgroup/pids/berthtest.slice")) << "slice left behind";
  EXPECT_FALSE(is_dir("/sys/fs/cgroup/memory/berthtest.slice")) << "slice left behind";
}

TEST_F(CgroupCli, StoppedContainersRefuseUpdateAndStats) {
  std::string id = start_sleeper();
  ASSERT_EQ(rt({"kill", id, "KILL"}).status, 0);
  ASSERT_TRUE(wait_until([&] { return status_of(id) == "stopped"; }, std::chrono::seconds(10)));
  auto u = rt({"update", "--pids-limit", "5", id});
  EXPECT_NE(u.status, 0);
  EXPECT_NE(u.err.find("not running"), std::string::npos) << u.err;
  auto s = rt({"events", "--stats", id});
  EXPECT_NE(s.status, 0);
  EXPECT_NE(s.err.find("not running"), std::string::npos) << s.err;
}

TEST_F(CgroupCli, EventsRefusesBadIntervalAndUnknownContainer) {
  std::string id = start_sleeper();
  auto bad = rt({"events", "--interval", "soon", id});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--interval"), std::string::npos) << bad.err;
  auto missing = rt({"events", "--stats", "no-such-container"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace berth::test
