// Lifecycle: run, create -> start -> kill -> delete, state, list, exit codes, pid file.
#include <csignal>

#include "runtime_fixture.hpp"

namespace berth::test {

TEST_F(RuntimeTest, RunPrintsOutputAndReturnsExitCode) {
  auto r = sh_in("echo hello from berth; exit 7");
  EXPECT_EQ(r.out, "hello from berth\n");
  EXPECT_EQ(r.status, 7) << r.err;
}

TEST_F(RuntimeTest, RunTrueSucceedsAndLeavesNoState) {
  auto r = run_args({"true"}, "plain");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(state_dir_exists("plain"));
}

TEST_F(RuntimeTest, KilledBySignalReportsHundredTwentyEightPlusSignal) {
  // pid 1 of a pid namespace cannot SIGKILL itself: run without one.
  auto& ns = bundle->config["linux"]["namespaces"];
  ns.erase(std::remove_if(ns.begin(), ns.end(), [](auto& n) { return n["type"] == "pid"; }), ns.end());
  auto r = sh_in("kill -KILL $$");
  EXPECT_EQ(r.status, 128 + SIGKILL);
}

TEST_F(RuntimeTest, CreateStartKillDeleteWalksTheStateMachine) {
  std::string pidfile = tmp->path() + "/pid";
  std::string id = create_sleeper(pidfile);
  EXPECT_EQ(status_of(id), "created");
  int pid = pid_of(id);
  EXPECT_GT(pid, 0);
  EXPECT_EQ(read_text(pidfile), std::to_string(pid));

  auto list = rt({"list", "--format", "json"});
  ASSERT_EQ(list.status, 0) << list.err;
  auto arr = nlohmann::json::parse(list.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["id"], id);
  EXPECT_EQ(arr[0]["status"], "created");

  ASSERT_EQ(rt({"start", id}).status, 0);
  EXPECT_EQ(status_of(id), "running");
  auto again = rt({"start", id});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;

  auto del = rt({"delete", id});
  EXPECT_NE(del.status, 0);
  EXPECT_NE(del.err.find("not stopped"), std::string::npos) << del.err;

  ASSERT_EQ(rt({"kill", id, "KILL"}).status, 0);
  EXPECT_TRUE(wait_until([&] { return status_of(id) == "stopped"; }, std::chrono::seconds(5)))
      << "container did not stop after SIGKILL";
  auto k = rt({"kill", id, "TERM"});
  EXPECT_NE(k.status, 0);
  ASSERT_EQ(rt({"delete", id}).status, 0);
  EXPECT_FALSE(state_dir_exists(id));
  EXPECT_NE(rt({"state", id}).status, 0);
}

TEST_F(RuntimeTest, KillAcceptsSignalNamesAndNumbers) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  EXPECT_NE(rt({"kill", id, "NOTASIGNAL"}).status, 0);
  ASSERT_EQ(rt({"kill", id, "15"}).status, 0);
  // sleep as pid 1 ignores SIGTERM (no handler, pid-1 protection): still running.
  EXPECT_EQ(status_of(id), "running");
  ASSERT_EQ(rt({"kill", "--all", id, "SIGKILL"}).status, 0);
  EXPECT_TRUE(wait_until([&] { return status_of(id) == "stopped"; }, std::chrono::seconds(5)));
}

TEST_F(RuntimeTest, ForceDeleteCreatedContainerKillsItsInit) {
  std::string id = create_sleeper();
  int pid = pid_of(id);
  ASSERT_EQ(rt({"delete", "--force", id}).status, 0);
  EXPECT_FALSE(state_dir_exists(id));
  EXPECT_TRUE(wait_until([&] { return kill(pid, 0) != 0 || read_text("/proc/" + std::to_string(pid) + "/stat").find(") Z") != std::string::npos; },
                         std::chrono::seconds(5)));
}

TEST_F(RuntimeTest, ForceDeleteRunningContainer) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  ASSERT_EQ(rt({"delete", "--force", id}).status, 0);
  EXPECT_FALSE(state_dir_exists(id));
}

TEST_F(RuntimeTest, DuplicateIdIsRefused) {
  std::string id = create_sleeper();
  auto r = rt({"create", "--bundle", bundle->dir, id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(status_of(id), "created");
}

TEST_F(RuntimeTest, DetachedRunKeepsRunning) {
  bundle->config["process"]["args"] = {"sleep", "1000"};
  bundle->write();
  std::string id = unique_id("d");
  created.push_back(id);
  ASSERT_EQ(rt({"run", "-d", "--bundle", bundle->dir, id}).status, 0);
  EXPECT_EQ(status_of(id), "running");
}

TEST_F(RuntimeTest, StateJsonHasSpecFields) {
  bundle->config["annotations"] = {{"org.example.key", "value"}};
  std::string id = create_sleeper();
  auto r = rt({"state", id});
  ASSERT_EQ(r.status, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ociVersion"], "1.2.0");
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["bundle"], bundle->dir);
  EXPECT_EQ(j["annotations"]["org.example.key"], "value");
}

TEST_F(RuntimeTest, ListTablePrintsHeaderAndContainer) {
  std::string id = create_sleeper();
  auto r = rt({"list"});
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("ID", 0), 0u);
  EXPECT_NE(r.out.find(id), std::string::npos);
  EXPECT_NE(r.out.find("created"), std::string::npos);
}

TEST_F(RuntimeTest, PsListsContainerProcesses) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  auto r = rt({"ps", "--format", "json", id});
  ASSERT_EQ(r.status, 0) << r.err;
  auto pids = nlohmann::json::parse(r.out);
  ASSERT_FALSE(pids.empty());
  EXPECT_NE(std::find(pids.begin(), pids.end(), pid_of(id)), pids.end());
  auto t = rt({"ps", id});
  EXPECT_NE(t.out.find("sleep 1000"), std::string::npos) << t.out;
}

TEST_F(RuntimeTest, SpecWritesDefaultsAndRefusesToOverwrite) {
  TempDir d("berth-spec");
  ASSERT_EQ(run({bin("berth-runtime"), "spec", "--bundle", d.path()}).status, 0);
  auto j = nlohmann::json::parse(read_text(d / "config.json"));
  EXPECT_EQ(j["root"]["path"], "rootfs");
  EXPECT_TRUE(j["process"]["terminal"].get<bool>());
  EXPECT_NE(run({bin("berth-runtime"), "spec", "--bundle", d.path()}).status, 0);
  TempDir r("berth-spec");
  ASSERT_EQ(run({bin("berth-runtime"), "spec", "--rootless", "--bundle", r.path()}).status, 0);
  auto jr = nlohmann::json::parse(read_text(r / "config.json"));
  EXPECT_EQ(jr["linux"]["uidMappings"][0]["containerID"], 0);
}

TEST_F(RuntimeTest, FeaturesAndVersion) {
  auto f = rt({"features"});
  ASSERT_EQ(f.status, 0);
  auto j = nlohmann::json::parse(f.out);
  EXPECT_EQ(j["ociVersionMax"], "1.2.0");
  auto ns = j["linux"]["namespaces"];
  EXPECT_NE(std::find(ns.begin(), ns.end(), "time"), ns.end());
  auto v = rt({"--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_NE(v.out.find("berth-runtime version"), std::string::npos);
}

}  // namespace berth::test

namespace berth::test {

TEST_F(RuntimeTest, PreserveFdsPassesExtraDescriptors) {
  bundle->config["process"]["args"] = {"sh", "-c", "cat <&3; ls /proc/self/fd | wc -l"};
  bundle->write();
  std::string id = unique_id("pf");
  created.push_back(id);
  write_text(tmp->path() + "/passed", "through fd 3\n");
  // fd 3 of berth-runtime becomes fd 3 of the container; nothing else beyond stdio leaks in.
  auto r = sh("exec 3<" + tmp->path() + "/passed; " + bin("berth-runtime") + " --root " + root +
              " run --preserve-fds 1 --bundle " + bundle->dir + " " + id);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "through fd 3\n5\n");  // 0, 1, 2, 3 and the fd ls itself opened
}

TEST_F(RuntimeTest, NoNewKeyringKeepsTheCallersSessionKeyring) {
  bundle->config["process"]["args"] = {"true"};
  bundle->write();
  std::string id = unique_id("kr");
  created.push_back(id);
  auto r = rt({"run", "--no-new-keyring", "--bundle", bundle->dir, id});
  EXPECT_EQ(r.status, 0) << r.err;
}

}  // namespace berth::test
