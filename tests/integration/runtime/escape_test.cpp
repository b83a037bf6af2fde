// The container is hostile. Each test runs a real escape attempt of a known class against
// berth-runtime and asserts that nothing outside the container root was read, written or
// mounted: leaked host fds (CVE-2024-21626), the runtime binary reachable through
// /proc/<pid>/exe (CVE-2019-5736), and a mount target swapped for a symlink mid-create
// (CVE-2021-30465).
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "runtime_fixture.hpp"

namespace berth::test {
namespace {

class EscapeTest : public RuntimeTest {
 protected:
  std::string marker() { return "/tmp/berth-escaped-" + unique_id("m"); }
  bool exists(const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0;
  }
};

// process.cwd = /proc/self/fd/N, for every N a runtime might leave open: the process must not
// start in a host directory (it did: in the host's cgroupfs, from where ../../.. was the host /).
TEST_F(EscapeTest, InitCwdThroughProcSelfFdCannotReachTheHost) {
  std::string m = marker();
  for (int fd = 3; fd < 16; ++fd) {
    bundle->config["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
    auto r = sh_in("ls ../../../../../../ > /dev/null 2>&1; touch ../../../../../../.." + m + "; pwd");
    EXPECT_NE(r.status, 0) << "fd " << fd << " cwd " << r.out;
    EXPECT_FALSE(exists(m)) << "fd " << fd << ": wrote " << m << " on the host";
    ::unlink(m.c_str());
  }
}

TEST_F(EscapeTest, ExecCwdThroughProcSelfFdCannotReachTheHost) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  std::string m = marker();
  for (int fd = 3; fd < 24; ++fd) {
    auto r = rt({"exec", "--cwd", "/proc/self/fd/" + std::to_string(fd), id, "sh", "-c",
                 "touch ../../../../../../.." + m + "; pwd"});
    EXPECT_NE(r.status, 0) << "fd " << fd << " cwd " << r.out;
    EXPECT_FALSE(exists(m)) << "fd " << fd << ": wrote " << m << " on the host";
    ::unlink(m.c_str());
  }
}

// What the container's processes hold when they start: stdio and nothing of the runtime's.
TEST_F(EscapeTest, InitAndExecHoldOnlyTheirOwnFds) {
  auto init = sh_in("ls /proc/self/fd");
  ASSERT_EQ(init.status, 0) << init.err;
  EXPECT_EQ(init.out, "0\n1\n2\n3\n") << "3 is ls's own directory";  // busybox ls opens one
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  auto ex = rt({"exec", id, "ls", "/proc/self/fd"});
  ASSERT_EQ(ex.status, 0) << ex.err;
  EXPECT_EQ(ex.out, "0\n1\n2\n3\n");
  // --preserve-fds passes exactly the fds asked for, and still nothing else.
  auto pre = sh("exec 3</dev/null; " + bin("berth-runtime") + " --root " + root + " exec --preserve-fds 1 " + id +
                " ls /proc/self/fd");
  ASSERT_EQ(pre.status, 0) << pre.err;
  EXPECT_EQ(pre.out, "0\n1\n2\n3\n4\n");
}

// A created container's init waits for `start` as a copy of the runtime. Another process in the
// container (here an exec; a second container sharing the pid namespace is the same) must not
// open its exe, fds, cwd or memory.
TEST_F(EscapeTest, CreatedInitIsNotReachableThroughProc) {
  std::string id = create_sleeper();
  auto r = rt({"exec", id, "sh", "-c",
               "for f in exe cwd root; do readlink /proc/1/$f && echo LEAK-$f; done; "
               "for f in /proc/1/fd/*; do readlink $f && echo LEAK-fd; done; "
               "cat /proc/1/exe > /dev/null && echo LEAK-read; "
               "(exec 5</proc/1/exe) 2>/dev/null && echo LEAK-open; true"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("LEAK"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("berth"), std::string::npos) << r.out;
}

// The racing form: a container polls /proc for any process whose exe is the runtime while the
// host runs execs into it. Each exec child is a copy of the runtime until it execs.
TEST_F(EscapeTest, ExecChildrenAreNeverVisibleAsTheRuntime) {
  // A private copy of the runtime: if the attack ever wins it overwrites a copy, not the build.
  std::string copy = tmp->path() + "/berth-runtime-copy";
  std::filesystem::copy_file(bin("berth-runtime"), copy);
  std::string before = sh("sha256sum < " + copy).out;
  bundle->config["root"]["readonly"] = false;
  bundle->config["process"]["args"] = {
      "sh", "-c",
      "while [ ! -e /tmp/stop ]; do for p in /proc/[0-9]*; do "
      "t=$(readlink $p/exe 2>/dev/null) && case $t in *berth*) echo SAW $p $t >> /tmp/found; "
      "(exec 5<$p/exe && echo OPENED $p >> /tmp/found) 2>/dev/null;; esac; done; "
      "echo x >> /tmp/rounds; done; touch /tmp/done; exec sleep 1000"};
  bundle->write();
  std::string id = unique_id("race");
  created.push_back(id);
  auto c = run({copy, "--root", root, "run", "-d", "--bundle", bundle->dir, id});
  ASSERT_EQ(c.status, 0) << c.err;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int execs = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto e = run({copy, "--root", root, "exec", id, "true"});
    ASSERT_EQ(e.status, 0) << e.err;
    ++execs;
  }
  ASSERT_EQ(run({copy, "--root", root, "exec", id, "touch", "/tmp/stop"}).status, 0);
  ASSERT_TRUE(wait_until([&] { return run({copy, "--root", root, "exec", id, "test", "-e", "/tmp/done"}).status == 0; },
                         std::chrono::seconds(20)))
      << "the polling loop did not stop";
  auto found = run({copy, "--root", root, "exec", id, "cat", "/tmp/found"});
  EXPECT_EQ(found.out, "") << "after " << execs << " execs";
  auto rounds = run({copy, "--root", root, "exec", id, "wc", "-l", "/tmp/rounds"});
  EXPECT_GT(std::atoi(rounds.out.c_str()), 5) << "the container hardly polled: " << rounds.out << rounds.err;
  EXPECT_EQ(sh("sha256sum < " + copy).out, before);
}

// A bind-mounted volume whose directory is swapped with a symlink to a host path (renameat2
// RENAME_EXCHANGE in a loop) while containers are created with a mount inside that directory.
// A createContainer hook (in the container's mount namespace, before pivot_root) reports
// whether the mount ever landed on the host path.
TEST_F(EscapeTest, MountTargetSwappedForASymlinkStaysInsideTheRoot) {
  std::string vol = tmp->path() + "/vol", host_target = tmp->path() + "/host-target", report = tmp->path() + "/report";
  std::string src = tmp->path() + "/src";
  for (auto& d : {vol, vol + "/dir", host_target, src}) ASSERT_EQ(::mkdir(d.c_str(), 0755), 0) << d;
  ASSERT_EQ(::symlink(host_target.c_str(), (vol + "/link").c_str()), 0);
  write_text(src + "/marker", "x");
  auto& cfg = bundle->config;
  cfg["mounts"].push_back({{"destination", "/vol"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind"}}});
  cfg["mounts"].push_back({{"destination", "/vol/dir"}, {"type", "bind"}, {"source", src}, {"options", {"bind"}}});
  cfg["hooks"]["createContainer"] = {
      {{"path", "/bin/sh"},
       {"args", {"sh", "-c", "grep -q ' " + host_target + " ' /proc/self/mountinfo && echo ESCAPED >> " + report + "; true"}}}};
  cfg["process"]["args"] = {"true"};
  bundle->write();

  std::atomic<bool> stop{false};
  std::thread racer([&] {
    std::string a = vol + "/dir", b = vol + "/link";
    while (!stop) renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
  });
  int creates = 0, failed = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < deadline && creates < 300) {
    std::string id = unique_id("swap");
    auto r = rt({"create", "--bundle", bundle->dir, id});
    ++creates;
    if (r.status != 0) ++failed;  // refusing is fine; mounting outside is not
    rt({"delete", "--force", id});
  }
  stop = true;
  racer.join();
  EXPECT_FALSE(exists(report)) << read_text(report) << "in " << creates << " creates";
  EXPECT_FALSE(exists(host_target + "/marker"));
  EXPECT_LT(failed, creates) << "every create failed: the test proved nothing";
}

}  // namespace
}  // namespace berth::test
