// The container's cgroup through its life: limits visible inside, pause/resume through the
// freezer, and nothing left after delete (also after kill -9 of the init, or while paused).
#include <csignal>

#include "runtime_fixture.hpp"

namespace berth::test {

class CgroupLifecycleTest : public RuntimeTest {
 protected:
  // Every hierarchy directory named after the container, on the host.
  std::string leftovers(const std::string& id) {
    return sh("find /sys/fs/cgroup -maxdepth 3 -type d -name '" + id + "' 2>/dev/null").out;
  }
};

TEST_F(CgroupLifecycleTest, LimitsAreVisibleInsideTheContainer) {
  bundle->config["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  bundle->config["linux"]["resources"]["pids"] = {{"limit", 42}};
  bundle->config["linux"]["resources"]["cpu"] = {{"quota", 50000}, {"period", 100000}};
  auto r = sh_in(
      "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
      "/sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "67108864\n42\n50000\n");
}

TEST_F(CgroupLifecycleTest, CgroupNamespaceShowsRootAsOwnCgroup) {
  auto r = sh_in("cat /proc/self/cgroup");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("memory:/\n"), std::string::npos) << r.out;
}

TEST_F(CgroupLifecycleTest, PauseFreezesAndResumeThaws) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  ASSERT_EQ(rt({"pause", id}).status, 0);
  EXPECT_EQ(status_of(id), "paused");
  auto again = rt({"pause", id});
  EXPECT_NE(again.status, 0);
  ASSERT_EQ(rt({"resume", id}).status, 0);
  EXPECT_EQ(status_of(id), "running");
  EXPECT_NE(rt({"resume", id}).status, 0);
}

TEST_F(CgroupLifecycleTest, ForceDeleteOfPausedContainerRemovesEverything) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  ASSERT_EQ(rt({"pause", id}).status, 0);
  auto r = rt({"delete", "--force", id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(state_dir_exists(id));
  EXPECT_EQ(leftovers(id), "");
}

TEST_F(CgroupLifecycleTest, DeleteAfterKillNineOfInitRemovesCgroup) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  ASSERT_NE(leftovers(id), "");
  ASSERT_EQ(kill(pid_of(id), SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return status_of(id) == "stopped"; }, std::chrono::seconds(5)));
  ASSERT_EQ(rt({"delete", id}).status, 0);
  EXPECT_EQ(leftovers(id), "");
}

TEST_F(CgroupLifecycleTest, ForkBombIsContainedByPidsLimit) {
  bundle->config["linux"]["resources"]["pids"] = {{"limit", 20}};
  // Each started sleeper prints a line; the 20th process cannot be forked and the shell gives up.
  auto r = sh_in("i=0; while [ $i -lt 60 ]; do sleep 30 & echo started; i=$((i+1)); done");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Resource temporarily unavailable"), std::string::npos) << r.err;
  EXPECT_LE(std::count(r.out.begin(), r.out.end(), '\n'), 19) << r.out;
}

}  // namespace berth::test

namespace berth::test {

TEST_F(CgroupLifecycleTest, ForceDeleteCleansUpAfterACreateKilledMidway) {
  // The createRuntime hook holds create in the middle; we kill -9 create there.
  std::string marker = tmp->path() + "/in-hook";
  bundle->config["hooks"]["createRuntime"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo $$ > " + marker + ".tmp; mv " + marker + ".tmp " + marker + "; exec sleep 60"}}}};
  bundle->config["process"]["args"] = {"true"};
  bundle->write();
  std::string id = unique_id("crash");
  std::string cmd = bin("berth-runtime") + " --root " + root + " create --bundle " + bundle->dir + " " + id;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), nullptr);
    _exit(127);
  }
  ASSERT_TRUE(wait_until([&] { return access(marker.c_str(), F_OK) == 0; }, std::chrono::seconds(10)))
      << "create never reached its createRuntime hook";
  ASSERT_NE(leftovers(id), "");
  kill(-pid, SIGKILL);  // create
  waitpid(pid, nullptr, 0);
  kill(std::stoi(read_text(marker)), SIGKILL);  // the hook runs in a process group of its own
  EXPECT_TRUE(state_dir_exists(id));
  auto r = rt({"delete", "--force", id});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(state_dir_exists(id));
  EXPECT_TRUE(wait_until([&] { return leftovers(id).empty(); }, std::chrono::seconds(5))) << leftovers(id);
}

}  // namespace berth::test
