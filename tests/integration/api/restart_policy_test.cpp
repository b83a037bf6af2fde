// Restart policies with the stock clients against berthd: on-failure:N restarts exactly N times
// with growing delays, always survives a berthd restart and a simulated host reboot (berthd
// stopped, shims killed), docker stop ends the loop, unless-stopped stays stopped after a
// reboot once the user stopped it, docker update --restart.
#include "api/lifecycle_fixture.hpp"

using namespace berth::api::test;
using namespace std::chrono_literals;

namespace {

// kill -9 of every shim berthd started (its pid in <exec-root>/containers/<id>/shim.json).
void kill_shims(const Berthd& d) {
  namespace fs = std::filesystem;
  for (auto& e : fs::directory_iterator(d.path("exec/containers"))) {
    auto j = nlohmann::json::parse(berth::test::read_text(e.path() / "shim.json"), nullptr, false);
    if (j.is_object() && j.value("Pid", 0) > 0) kill(j["Pid"].get<int>(), SIGKILL);
  }
}

}  // namespace

TEST_P(Lifecycle, OnFailureRestartsExactlyNTimesWithGrowingDelays) {
  auto id = run_d({"--restart", "on-failure:3", "busybox", "sh", "-c", "exit 1"});
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(berth::test::wait_until([&] {
    auto j = inspect(id);
    return j["State"].value("Status", "") == "exited" && j.value("RestartCount", -1) == 3;
  }, 30s, 50ms)) << inspect(id).dump();
  auto j = inspect(id);
  EXPECT_EQ(j["State"]["ExitCode"], 1);
  EXPECT_EQ(j["HostConfig"]["RestartPolicy"], (nlohmann::json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  auto starts = event_times(id, "start"), dies = event_times(id, "die");
  ASSERT_EQ(starts.size(), 4u);  // the first run and three restarts
  ASSERT_EQ(dies.size(), 4u);
  // The back-off between an exit and the next start: 100, 200, 400 ms.
  std::vector<int64_t> gaps;
  for (size_t i = 0; i < 3; ++i) gaps.push_back((starts[i + 1] - dies[i]) / 1000000);
  EXPECT_GE(gaps[0], 90) << gaps[0];
  EXPECT_GE(gaps[1], 180) << gaps[1];
  EXPECT_GE(gaps[2], 360) << gaps[2];
  EXPECT_GT(gaps[1], gaps[0]);
  EXPECT_GT(gaps[2], gaps[1]);
  // Stays down: no fourth restart.
  EXPECT_FALSE(berth::test::wait_until([&] { return event_times(id, "start").size() > 4; }, 1500ms, 100ms));
}

TEST_P(Lifecycle, RestartingShowsInPsAndInspect) {
  auto id = run_d({"--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 3"});
  ASSERT_FALSE(id.empty());
  // Long enough back-offs that the restarting state can be seen (doubling from 100 ms).
  ASSERT_TRUE(berth::test::wait_until([&] { return status(id) == "restarting"; }, 20s, 20ms));
  auto j = inspect(id);
  EXPECT_TRUE(j["State"]["Restarting"].get<bool>());
  EXPECT_TRUE(j["State"]["Running"].get<bool>());
  auto ps = docker({"ps", "--format", "{{.Status}}", "--filter", "id=" + id});
  auto rows = lines(ps.out);
  if (!rows.empty() && rows[0].starts_with("Restarting")) {
    EXPECT_TRUE(rows[0].starts_with("Restarting (3) ") && rows[0].ends_with(" ago")) << rows[0];
  }
  // docker stop ends the loop, whether it is running or waiting for its restart.
  auto s = docker({"stop", "-t", "1", id});
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(status(id), "exited");
  auto n = event_times(id, "start").size();
  EXPECT_FALSE(berth::test::wait_until([&] { return event_times(id, "start").size() > n; }, 1500ms, 100ms));
  EXPECT_EQ(status(id), "exited");
  // A start by the user begins again from zero.
  ASSERT_EQ(docker({"start", id}).status, 0);
  EXPECT_EQ(inspect(id)["RestartCount"], 0);
}

TEST_P(Lifecycle, AlwaysSurvivesBerthdRestartAndReboot) {
  auto always = run_d({"--name", "always", "--restart", "always", "busybox", "sleep", "1000"});
  auto unless = run_d({"--name", "unless", "--restart", "unless-stopped", "busybox", "sleep", "1000"});
  auto stopped = run_d({"--name", "stopped", "--restart", "unless-stopped", "busybox", "sleep", "1000"});
  auto plain = run_d({"--name", "plain", "busybox", "sleep", "1000"});
  for (auto* id : {&always, &unless, &stopped, &plain}) ASSERT_FALSE(id->empty());
  ASSERT_EQ(docker({"stop", "-t", "0", "stopped"}).status, 0);
  int pid_before = inspect("always")["State"]["Pid"];
  // berthd restart: the shims keep the containers running.
  ASSERT_EQ(d.stop(), 0);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(status("always"), "running");
  EXPECT_EQ(inspect("always")["State"]["Pid"], pid_before);
  // A host reboot: berthd down, every shim (and with it its container) killed.
  ASSERT_EQ(d.stop(), 0);
  kill_shims(d);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_TRUE(wait_status("always", "running")) << status("always");
  EXPECT_TRUE(wait_status("unless", "running")) << status("unless");
  EXPECT_NE(inspect("always")["State"]["Pid"], pid_before);
  EXPECT_EQ(status("stopped"), "exited");  // stopped by the user: stays stopped
  EXPECT_EQ(status("plain"), "exited");
  EXPECT_EQ(inspect("plain")["State"]["ExitCode"], 137);
}

TEST_P(Lifecycle, UpdateRestartPolicy) {
  ASSERT_FALSE(run_d({"--name", "upd", "busybox", "sleep", "1000"}).empty());
  auto r = docker({"update", "--restart", "on-failure:2", "upd"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(inspect("upd")["HostConfig"]["RestartPolicy"], (nlohmann::json{{"Name", "on-failure"}, {"MaximumRetryCount", 2}}));
  ASSERT_EQ(docker({"update", "--restart", "always", "upd"}).status, 0);
  EXPECT_EQ(inspect("upd")["HostConfig"]["RestartPolicy"]["Name"], "always");
  // The new policy applies to the next exit: the container's own exit brings it back.
  int pid = inspect("upd")["State"]["Pid"];
  kill(pid, SIGKILL);
  EXPECT_TRUE(berth::test::wait_until([&] {
    auto j = inspect("upd");
    return j["State"].value("Status", "") == "running" && j["State"].value("Pid", 0) != pid;
  }, 20s, 50ms)) << inspect("upd").dump();
  EXPECT_EQ(inspect("upd")["RestartCount"], 1);
  // Resources are updated too (security_resources_test.cpp has more); a bad value changes nothing.
  r = docker({"update", "--memory", "64m", "upd"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(inspect("upd")["HostConfig"]["Memory"], 64 << 20);
  r = docker({"update", "--memory", "1m", "upd"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Minimum memory limit allowed is 6MB"), std::string::npos) << r.err;
  EXPECT_EQ(inspect("upd")["HostConfig"]["Memory"], 64 << 20);
  auto rm = run_d({"--rm", "busybox", "sleep", "1000"});
  r = docker({"update", "--restart", "always", rm});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Restart policy cannot be updated because AutoRemove is enabled for the container"), std::string::npos)
      << r.err;
}

INSTANTIATE_TEST_SUITE_P(Clients, Lifecycle, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
