// Points where the OCI spec or runc's behaviour is precise, each checked against what a caller
// sees: refused configs, racing deletes, hooks that must die with their create, half-removed
// cgroups, and the configs that are unusual but valid.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "common/fs.hpp"
#include "runtime_fixture.hpp"

namespace berth::test {
namespace {

bool alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// The pid of a process whose command line contains every one of `parts`, 0 if none.
int parent_of(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.starts_with("PPid:")) return atoi(line.c_str() + 5);
  return 0;
}

// The process whose command line has every part; of a process and its forks (the runtime's hook
// guard has the same command line), the outermost one. Not the lowest pid: after the pid counter
// wraps a fork can have a lower pid than its parent.
int find_process(const std::vector<std::string>& parts) {
  DIR* d = opendir("/proc");
  std::vector<int> found;
  while (dirent* e = d ? readdir(d) : nullptr) {
    int pid = atoi(e->d_name);
    if (pid <= 0 || pid == getpid()) continue;
    std::ifstream f("/proc/" + std::string(e->d_name) + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(f)), {});
    bool all = !cmd.empty();
    for (auto& p : parts) all = all && cmd.find(p) != std::string::npos;
    if (all) found.push_back(pid);
  }
  if (d) closedir(d);
  for (int pid : found)
    if (std::find(found.begin(), found.end(), parent_of(pid)) == found.end()) return pid;
  return found.empty() ? 0 : found.front();
}

std::string cgroup_dirs_named(const std::string& id) {
  return sh("find /sys/fs/cgroup -maxdepth 3 -type d -name '" + id + "' 2>/dev/null").out;
}

TEST_F(RuntimeTest, RootPathThatIsASymlinkIsRefused) {
  ASSERT_EQ(::symlink("/", (bundle->dir + "/hostroot").c_str()), 0);
  bundle->config["root"]["path"] = "hostroot";
  bundle->config["process"]["args"] = {"true"};
  bundle->write();
  std::string id = unique_id("sym");
  created.push_back(id);
  auto r = rt({"create", "--bundle", bundle->dir, id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("root.path"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is a symlink"), std::string::npos) << r.err;
  EXPECT_FALSE(state_dir_exists(id));
}

TEST_F(RuntimeTest, NonExecutableArgs0FailsCreate) {
  bundle->config["process"]["args"] = {"/etc/passwd"};
  bundle->write();
  std::string id = unique_id("noexec");
  created.push_back(id);
  auto r = rt({"create", "--bundle", bundle->dir, id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("exec: \"/etc/passwd\": permission denied"), std::string::npos) << r.err;
  EXPECT_FALSE(state_dir_exists(id));
  EXPECT_EQ(cgroup_dirs_named(id), "");
}

TEST_F(RuntimeTest, DeleteForceRacingAForegroundRunSucceeds) {
  for (int round = 0; round < 5; ++round) {
    bundle->config["process"]["args"] = {"sleep", "1000"};
    bundle->write();
    std::string id = unique_id("race");
    created.push_back(id);
    CmdResult fg;
    std::thread runner([&] { fg = rt({"run", "--bundle", bundle->dir, id}); });
    bool running = wait_until([&] { return status_of(id) == "running"; }, std::chrono::seconds(10));
    auto del = rt({"delete", "--force", id});
    runner.join();
    ASSERT_TRUE(running) << "round " << round << ": never running: " << fg.err;
    EXPECT_EQ(del.status, 0) << "round " << round << ": " << del.err;
    EXPECT_EQ(fg.status, 137) << fg.err;
    EXPECT_FALSE(state_dir_exists(id));
    EXPECT_EQ(cgroup_dirs_named(id), "");
  }
}

TEST_F(RuntimeTest, KilledCreateTakesItsRunningHookWithIt) {
  std::string p1 = tmp->path() + "/hook.pid", p2 = tmp->path() + "/child.pid";
  bundle->config["hooks"]["createRuntime"] = {
      {{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo $$ > " + p1 + "; sleep 1000 & echo $! > " + p2 + "; wait"}}}};
  bundle->config["process"]["args"] = {"true"};
  bundle->write();
  std::string id = unique_id("hookkill");
  created.push_back(id);
  std::thread creator([&] { rt({"create", "--bundle", bundle->dir, id}); });
  bool hooked = wait_until([&] { return read_text(p2) != ""; }, std::chrono::seconds(10));
  int create_pid = find_process({"berth-runtime", "create", id});
  if (create_pid) ::kill(create_pid, SIGKILL);
  creator.join();
  ASSERT_TRUE(hooked) << "the hook never started";
  ASSERT_NE(create_pid, 0);
  int hook = std::stoi(read_text(p1)), child = std::stoi(read_text(p2));
  EXPECT_EQ(rt({"delete", "--force", id}).status, 0);
  EXPECT_TRUE(wait_until([&] { return !alive(hook) && !alive(child); }, std::chrono::seconds(5)))
      << "hook " << hook << (alive(hook) ? " alive" : " gone") << ", its child " << child
      << (alive(child) ? " alive" : " gone");
  EXPECT_EQ(cgroup_dirs_named(id), "");
}

TEST_F(RuntimeTest, DeleteRemovesTheCgroupInEveryHierarchy) {
  for (int i = 0; i < 10; ++i) {
    std::string id = create_sleeper();
    ASSERT_EQ(rt({"start", id}).status, 0);
    ASSERT_EQ(rt({"exec", "-d", id, "sleep", "1000"}).status, 0);  // a second process to kill
    auto d = rt({"delete", "--force", id});
    ASSERT_EQ(d.status, 0) << d.err;
    EXPECT_EQ(cgroup_dirs_named(id), "") << "round " << i;
  }
}

TEST_F(RuntimeTest, ExecFlagsAreParsedAsRuncParsesThem) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  auto bad = rt({"exec", "--additional-gids=abc", id, "true"});
  EXPECT_EQ(bad.status, 1) << bad.err;
  EXPECT_NE(bad.err.find("--additional-gids: \"abc\" is not a group id"), std::string::npos) << bad.err;
  auto env = rt({"exec", "-e", "A=b", id, "env"});
  EXPECT_EQ(env.status, 0) << env.err;
  EXPECT_NE(env.out.find("A=b\n"), std::string::npos) << env.out;
  auto user = rt({"exec", "--user", "12x", id, "true"});
  EXPECT_EQ(user.status, 1);
  EXPECT_NE(user.err.find("--user"), std::string::npos) << user.err;
}

TEST_F(RuntimeTest, DeleteWithoutForceRefusesAContainerThatIsNotStopped) {
  std::string id = create_sleeper();
  auto r = rt({"delete", id});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not stopped"), std::string::npos) << r.err;
  EXPECT_EQ(status_of(id), "created");
  ASSERT_EQ(rt({"start", id}).status, 0);
  EXPECT_EQ(rt({"delete", id}).status, 1);
  EXPECT_EQ(status_of(id), "running");
}

TEST_F(RuntimeTest, ConfigWithoutProcessIsCreatedAndStartFails) {
  bundle->config.erase("process");
  bundle->write();
  std::string id = unique_id("noproc");
  created.push_back(id);
  auto c = rt({"create", "--bundle", bundle->dir, id});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(status_of(id), "created");
  auto s = rt({"start", id});
  EXPECT_EQ(s.status, 1);
  EXPECT_NE(s.err.find("no \"process\""), std::string::npos) << s.err;
  EXPECT_EQ(rt({"delete", "--force", id}).status, 0);
  EXPECT_FALSE(state_dir_exists(id));
}

TEST_F(RuntimeTest, FailingPoststartAndPoststopHooksDoNotStopTheOthers) {
  std::string after_start = tmp->path() + "/poststart-2", after_stop = tmp->path() + "/poststop-2";
  bundle->config["hooks"]["poststart"] = {{{"path", "/bin/false"}},
                                          {{"path", "/bin/sh"}, {"args", {"sh", "-c", "touch " + after_start}}}};
  bundle->config["hooks"]["poststop"] = {{{"path", "/bin/false"}},
                                         {{"path", "/bin/sh"}, {"args", {"sh", "-c", "touch " + after_stop}}}};
  std::string id = create_sleeper();
  auto s = rt({"start", id});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_NE(s.err.find("poststart hook /bin/false"), std::string::npos) << s.err;
  EXPECT_TRUE(path_exists(after_start));
  auto d = rt({"delete", "--force", id});
  EXPECT_EQ(d.status, 0) << d.err;
  EXPECT_TRUE(path_exists(after_stop));
}

TEST_F(RuntimeTest, UnbindableRootfsPropagation) {
  bundle->config["linux"]["rootfsPropagation"] = "unbindable";
  auto r = sh_in("awk '$5 == \"/\"' /proc/self/mountinfo");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("unbindable"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, NoMountNamespaceRunsInAChroot) {
  auto& ns = bundle->config["linux"]["namespaces"];
  for (size_t i = 0; i < ns.size(); ++i)
    if (ns[i]["type"] == "mount") ns.erase(i--);
  bundle->config["mounts"] = nlohmann::json::array();
  bundle->config["linux"].erase("maskedPaths");
  bundle->config["linux"].erase("readonlyPaths");
  std::string host_mounts = sh("wc -l < /proc/self/mountinfo").out;
  auto r = sh_in("echo ok; ls /bin/busybox");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n/bin/busybox\n");
  EXPECT_EQ(sh("wc -l < /proc/self/mountinfo").out, host_mounts) << "the host's mount table changed";
}

}  // namespace
}  // namespace berth::test
