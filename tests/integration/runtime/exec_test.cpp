// exec into a running container: namespaces, exit codes, env, user, detach, pid file.
#include "runtime_fixture.hpp"

namespace berth::test {

TEST_F(RuntimeTest, ExecRunsInTheContainersNamespaces) {
  bundle->config["hostname"] = "exec-host";
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  auto r = rt({"exec", id, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "exec-host\nsleep 1000 ");
}

TEST_F(RuntimeTest, ExecReturnsExitCodeAndTakesEnvUserCwd) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  EXPECT_EQ(rt({"exec", id, "sh", "-c", "exit 42"}).status, 42);
  auto r = rt({"exec", "--env", "A=b", "--user", "1000:1000", "--cwd", "/tmp", id, "sh", "-c", "echo $A; id -u; pwd"});
  EXPECT_EQ(r.out, "b\n1000\n/tmp\n") << r.err;
}

TEST_F(RuntimeTest, ExecWithProcessJsonDetachedWritesPidFile) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  nlohmann::json proc = {{"args", {"sleep", "500"}}, {"cwd", "/"}, {"env", {"PATH=/bin"}}, {"user", {{"uid", 0}, {"gid", 0}}}};
  write_text(tmp->path() + "/proc.json", proc.dump());
  std::string pidfile = tmp->path() + "/exec.pid";
  auto r = rt({"exec", "--process", tmp->path() + "/proc.json", "-d", "--pid-file", pidfile, id});
  ASSERT_EQ(r.status, 0) << r.err;
  int pid = std::stoi(read_text(pidfile));
  EXPECT_NE(read_text("/proc/" + std::to_string(pid) + "/cmdline").find("sleep"), std::string::npos);
  auto ps = rt({"ps", "--format", "json", id});
  auto pids = nlohmann::json::parse(ps.out);
  EXPECT_NE(std::find(pids.begin(), pids.end(), pid), pids.end()) << ps.out;
}

TEST_F(RuntimeTest, ExecInStoppedContainerFails) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  ASSERT_EQ(rt({"kill", id, "KILL"}).status, 0);
  ASSERT_TRUE(wait_until([&] { return status_of(id) == "stopped"; }, std::chrono::seconds(5)));
  auto r = rt({"exec", id, "true"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("stopped"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, ExecOfMissingBinaryReportsIt) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  auto r = rt({"exec", id, "nope-not-here"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("executable file not found"), std::string::npos) << r.err;
}

}  // namespace berth::test
