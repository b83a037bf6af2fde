// Stop signals and timeouts, kill -s, --init, top and stats with the stock clients against
// berthd: a container trapping SIGUSR1 (busybox sh's trap) stops on --stop-signal; one that
// ignores its stop signal is killed after the timeout (137); --init reaps orphaned zombies and
// forwards the stop signal to its child; top lists the container's processes; stats has the
// shape docker stats computes from.
#include <unistd.h>

#include "api/lifecycle_fixture.hpp"

using namespace berth::api::test;
using namespace std::chrono_literals;

namespace {

std::string children_of(int pid) {
  return berth::test::read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
}

int count_children(int pid) {
  std::istringstream in(children_of(pid));
  int n = 0;
  for (std::string c; in >> c;) ++n;
  return n;
}

// Zombie children of pid (state Z in /proc/<child>/stat).
int zombies_under(int pid) {
  int n = 0;
  std::istringstream in(children_of(pid));
  for (std::string c; in >> c;) {
    auto stat = berth::test::read_text("/proc/" + c + "/stat");
    auto close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') ++n;
  }
  return n;
}

}  // namespace

TEST_P(Lifecycle, StopSignalIsHonoured) {
  // The shell exits 42 on SIGUSR1 only; SIGTERM is ignored.
  auto id = run_d({"--stop-signal", "SIGUSR1", "busybox", "sh", "-c",
                   "trap 'exit 42' USR1; trap '' TERM; while true; do sleep 0.1; done"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(inspect(id)["Config"]["StopSignal"], "SIGUSR1");
  auto t0 = std::chrono::steady_clock::now();
  auto r = docker({"stop", "-t", "20", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);  // not the SIGKILL after 20 s
  EXPECT_EQ(inspect(id)["State"]["ExitCode"], 42);
}

TEST_P(Lifecycle, StopTimeoutThenSigkill) {
  auto id = run_d({"--stop-timeout", "1", "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(inspect(id)["Config"]["StopTimeout"], 1);
  auto t0 = std::chrono::steady_clock::now();
  auto r = docker({"stop", id});
  ASSERT_EQ(r.status, 0) << r.err;
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 8s);
  EXPECT_EQ(inspect(id)["State"]["ExitCode"], 137);
}

TEST_P(Lifecycle, KillWithSignalNameAndBadSignal) {
  auto id = run_d({"busybox", "sh", "-c", "trap 'exit 7' USR2; while true; do sleep 0.1; done"});
  ASSERT_FALSE(id.empty());
  auto bad = docker({"kill", "-s", "NOPE", id});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("Invalid signal: NOPE"), std::string::npos) << bad.err;
  EXPECT_EQ(status(id), "running");
  ASSERT_EQ(docker({"kill", "-s", "USR2", id}).status, 0);
  ASSERT_TRUE(wait_status(id, "exited"));
  EXPECT_EQ(inspect(id)["State"]["ExitCode"], 7);
}

TEST_P(Lifecycle, InitReapsZombiesAndForwardsSignals) {
  // An orphan that touches /done and exits: it is reparented to pid 1, which must reap it.
  std::vector<std::string> orphaning = {"busybox", "sh", "-c", "(sh -c 'sleep 0.2; touch /done' &) ; exec sleep 1000"};
  auto orphan_done = [](int pid) { return access(("/proc/" + std::to_string(pid) + "/root/done").c_str(), F_OK) == 0; };
  // Without an init, pid 1 is sleep, which never waits: the zombie stays (the check can fail).
  auto plain = run_d(orphaning);
  ASSERT_FALSE(plain.empty());
  int plain_pid = inspect(plain)["State"]["Pid"];
  ASSERT_TRUE(berth::test::wait_until([&] { return orphan_done(plain_pid) && zombies_under(plain_pid) == 1; }, 10s, 20ms))
      << zombies_under(plain_pid);
  std::vector<std::string> with_init = {"--init"};
  with_init.insert(with_init.end(), orphaning.begin(), orphaning.end());
  auto id = run_d(with_init);
  ASSERT_FALSE(id.empty());
  auto j = inspect(id);
  EXPECT_TRUE(j["HostConfig"]["Init"].get<bool>());
  int pid = j["State"]["Pid"];
  auto comm = berth::test::read_text("/proc/" + std::to_string(pid) + "/cmdline");
  EXPECT_EQ(comm.substr(0, comm.find('\0')), "/sbin/docker-init") << comm;
  ASSERT_TRUE(berth::test::wait_until([&] { return orphan_done(pid); }, 10s, 20ms));
  // Reaped: tini's only child left is the command.
  EXPECT_TRUE(berth::test::wait_until([&] { return count_children(pid) == 1 && zombies_under(pid) == 0; }, 5s, 20ms))
      << children_of(pid);
  auto top = docker({"top", id});
  ASSERT_EQ(top.status, 0) << top.err;
  EXPECT_NE(top.out.find("sleep 1000"), std::string::npos) << top.out;
  // tini forwards SIGTERM to sleep, which dies of it: a quick stop, tini reports 143.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(docker({"stop", id}).status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(inspect(id)["State"]["ExitCode"], 143);
}

TEST_P(Lifecycle, TopListsTheContainersProcesses) {
  auto id = run_d({"busybox", "sh", "-c", "sleep 1001 & exec sleep 1002"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(berth::test::wait_until([&] { return docker({"top", id}).out.find("sleep 1001") != std::string::npos; }, 5s, 50ms));
  auto r = docker({"top", id});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = lines(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  EXPECT_TRUE(rows[0].starts_with("UID")) << rows[0];
  EXPECT_NE(rows[0].find("PID"), std::string::npos);
  EXPECT_NE(r.out.find("sleep 1002"), std::string::npos);
  // The same pids as the container's cgroup holds.
  auto procs = berth::test::read_text("/sys/fs/cgroup/pids/berth/" + id + "/cgroup.procs");
  EXPECT_FALSE(lines(procs).empty());
  for (auto& p : lines(procs)) EXPECT_NE(r.out.find(" " + p + " "), std::string::npos) << p << "\n" << r.out;
  auto custom = docker({"top", id, "-o", "pid,comm"});
  ASSERT_EQ(custom.status, 0) << custom.err;
  EXPECT_TRUE(lines(custom.out)[0].starts_with("PID")) << custom.out;
  ASSERT_EQ(docker({"stop", "-t", "0", id}).status, 0);
  auto stopped = docker({"top", id});
  EXPECT_NE(stopped.status, 0);
  EXPECT_NE(stopped.err.find("Container " + id + " is not running"), std::string::npos) << stopped.err;
}

TEST_P(Lifecycle, StatsShapes) {
  auto id = run_d({"--name", "st", "busybox", "sh", "-c", "dd if=/dev/zero of=/big bs=1k count=512; exec sleep 1000"});
  ASSERT_FALSE(id.empty());
  auto r = docker({"stats", "--no-stream", "--format", "{{json .}}", "st"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(lines(r.out).at(0), nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["Name"], "st");
  EXPECT_EQ(j["ID"], id.substr(0, 12));
  EXPECT_TRUE(j["CPUPerc"].get<std::string>().ends_with("%")) << j;
  auto mem = j["MemUsage"].get<std::string>();
  EXPECT_NE(mem.find(" / "), std::string::npos) << mem;
  EXPECT_FALSE(mem.starts_with("0B")) << mem;
  EXPECT_FALSE(mem.ends_with(" / 0B")) << mem;
  EXPECT_NE(j["NetIO"].get<std::string>().find(" / "), std::string::npos) << j;
  EXPECT_NE(j["BlockIO"].get<std::string>().find(" / "), std::string::npos);
  EXPECT_GE(std::stoi(j["PIDs"].get<std::string>()), 1);
  // The raw API: one sample with precpu from a second earlier.
  auto raw = raw_request(d.socket_path(), "GET", "/containers/st/stats?stream=false");
  ASSERT_EQ(raw.status, 200) << raw.body;
  auto s = nlohmann::json::parse(raw.body, nullptr, false);
  ASSERT_TRUE(s.is_object()) << raw.body;
  for (auto* k : {"read", "preread", "cpu_stats", "precpu_stats", "memory_stats", "blkio_stats", "pids_stats", "name", "id"})
    EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_GT(s["cpu_stats"]["system_cpu_usage"].get<uint64_t>(), s["precpu_stats"]["system_cpu_usage"].get<uint64_t>());
  EXPECT_GT(s["memory_stats"]["limit"].get<uint64_t>(), 0u);
  EXPECT_GE(s["cpu_stats"]["online_cpus"].get<int>(), 1);
  EXPECT_NE(s["preread"], "0001-01-01T00:00:00Z");
  // The default bridge gives the container an eth0; its counters are the interface's.
  ASSERT_TRUE(s.contains("networks")) << raw.body;
  EXPECT_TRUE(s["networks"].contains("eth0")) << s["networks"];
  EXPECT_FALSE(s["networks"].contains("lo")) << s["networks"];
  // Streaming: a client that reads two samples and hangs up.
  auto stream = docker({"stats", "--no-stream", "st"});
  ASSERT_EQ(stream.status, 0) << stream.err;
  EXPECT_TRUE(lines(stream.out)[0].starts_with("CONTAINER ID   NAME")) << stream.out;
  // A stopped container: zeros, no error.
  ASSERT_EQ(docker({"stop", "-t", "0", "st"}).status, 0);
  auto off = docker({"stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", "st"});
  ASSERT_EQ(off.status, 0) << off.err;
  EXPECT_EQ(lines(off.out).at(0), "0B / 0B 0");
}

TEST_P(Lifecycle, PortIsEmptyWithoutNetworking) {
  auto id = run_d({"busybox", "sleep", "1000"});
  ASSERT_FALSE(id.empty());
  auto r = docker({"port", id});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

// The berth CLI's verbs for the same: run --restart --init --stop-signal --stop-timeout, top,
// stats, port, update --restart.
TEST_P(Lifecycle, BerthVerbs) {
  if (GetParam() != kDocker28) GTEST_SKIP() << "client-independent";
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "BERTH_HOST=" + d.host(), berth::test::bin("berth")});
    return berth::test::run(args, "", std::chrono::seconds(60));
  };
  auto r = berth({"run", "-d", "--name", "bv", "--restart", "on-failure:2", "--init", "--stop-signal", "USR1",
                  "--stop-timeout", "4", "busybox", "sleep", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = inspect("bv");
  EXPECT_EQ(j["HostConfig"]["RestartPolicy"], (nlohmann::json{{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  EXPECT_TRUE(j["HostConfig"]["Init"].get<bool>());
  EXPECT_EQ(j["Config"]["StopSignal"], "USR1");
  EXPECT_EQ(j["Config"]["StopTimeout"], 4);
  auto top = berth({"top", "bv", "-o", "pid,comm"});
  ASSERT_EQ(top.status, 0) << top.err;
  EXPECT_TRUE(top.out.starts_with("PID")) << top.out;
  EXPECT_NE(top.out.find("sleep"), std::string::npos) << top.out;
  auto st = berth({"stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "bv"});
  ASSERT_EQ(st.status, 0) << st.err;
  EXPECT_EQ(st.out, "bv 2\n");  // tini and sleep
  auto port = berth({"port", "bv"});
  EXPECT_EQ(port.status, 0) << port.err;
  EXPECT_EQ(port.out, "");
  ASSERT_EQ(berth({"update", "--restart", "unless-stopped", "bv"}).status, 0);
  EXPECT_EQ(inspect("bv")["HostConfig"]["RestartPolicy"]["Name"], "unless-stopped");
  auto bad = berth({"run", "--rm", "--restart", "always", "busybox", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("can't create 'AutoRemove' container with restart policy"), std::string::npos) << bad.err;
}
