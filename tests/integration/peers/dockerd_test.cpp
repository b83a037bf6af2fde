// Debian's dockerd with berth-runtime added as a runtime (--add-runtime berth=...): a private
// daemon (own data-root, exec-root, socket, no iptables, no bridge), the stock docker CLI, an
// image loaded from a tarball built here. Output, tty, exit codes, exec, kill and rm; nothing
// may be left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include "peer_support.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

class DockerdPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_program("dockerd") || !test::have_program("docker"))
      GTEST_SKIP() << "dockerd or docker is not installed";
    cgroups_ = std::make_unique<peers::CgroupParentCleanup>("berth-peers-docker-" + std::to_string(getpid()));
    // dockerd's containerd shims keep their sockets below /run/containerd/s.
    strays_ = std::make_unique<peers::StrayDirs>(
        std::vector<std::string>{"/run/docker", "/run/docker/plugins", "/run/containerd", "/run/containerd/s",
                                 "/run/berth-runtime", "/run/berth-runtime/.seccomp-cache"});
    host_ = "unix://" + (tmp_ / "d.sock");
    test::write_text(tmp_ / "daemon.json", "{}");
    daemon_ = std::make_unique<peers::Daemon>(
        std::vector<std::string>{"dockerd",
                                 "--config-file", tmp_ / "daemon.json",
                                 "--data-root", tmp_ / "data",
                                 "--exec-root", tmp_ / "exec",
                                 "--pidfile", tmp_ / "dockerd.pid",
                                 "-H", host_,
                                 "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                                 "--bridge=none", "--userland-proxy=false",
                                 "--cgroup-parent", "/" + cgroups_->name(),
                                 "--add-runtime", "berth=" + peers::runtime_binary()},
        tmp_ / "dockerd.log");
    bool up = test::wait_until([&] { return docker({"version"}).status == 0; }, 60s, 100ms);
    ASSERT_TRUE(up) << "dockerd did not come up:\n" << daemon_->log_tail();
    auto load = docker({"load", "-i", peers::make_busybox_archive(tmp_ / "image", "berthbox:latest")});
    ASSERT_EQ(load.status, 0) << load.out << load.err;
  }

  void TearDown() override {
    if (!daemon_) return;
    docker({"rmi", "-f", "berthbox:latest"});
    EXPECT_TRUE(daemon_->stop()) << "dockerd did not stop on SIGTERM";
    EXPECT_TRUE(test::wait_until([&] { return peers::processes_mentioning(tmp_.path()).empty(); }, 10s))
        << "processes (containerd, shims, container inits) outlived dockerd";
    EXPECT_EQ(peers::mounts_below(tmp_.path()), std::vector<std::string>{}) << "mounts left behind";
  }

  test::CmdResult docker(std::vector<std::string> args, std::chrono::seconds timeout = 60s) {
    std::vector<std::string> argv = {"docker", "-H", host_};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, "", timeout);
  }

  std::string inspect(const std::string& id, const std::string& format) {
    return trim(docker({"inspect", "-f", format, id}).out);
  }

  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
  }

  test::TempDir tmp_{"berth-peer-docker"};
  std::string host_;
  std::unique_ptr<peers::CgroupParentCleanup> cgroups_;
  std::unique_ptr<peers::StrayDirs> strays_;
  std::unique_ptr<peers::Daemon> daemon_;
};

}  // namespace

TEST_F(DockerdPeer, RunPrintsOutput) {
  auto r = docker({"run", "--rm", "--runtime", "berth", "--network", "none", "berthbox", "echo", "hello from berth"});
  EXPECT_EQ(r.status, 0) << r.err << "\n" << daemon_->log_tail();
  EXPECT_EQ(r.out, "hello from berth\n");
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
}

TEST_F(DockerdPeer, ExitCodeIsReported) {
  auto r = docker({"run", "--rm", "--runtime", "berth", "--network", "none", "berthbox", "sh", "-c", "exit 3"});
  EXPECT_EQ(r.status, 3) << r.err;
}

TEST_F(DockerdPeer, DefaultSeccompProfileIsEnforced) {
  // dockerd puts its default profile into config.json; berth compiles and loads it.
  auto r = docker({"run", "--rm", "--runtime", "berth", "--network", "none", "berthbox", "sh", "-c",
                   "grep Seccomp: /proc/self/status; unshare -U true && echo unshare-allowed || echo unshare-denied"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unshare-denied"), std::string::npos) << r.out;
}

TEST_F(DockerdPeer, CustomSeccompProfileWithErrnoRet) {
  test::write_text(tmp_ / "profile.json", R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]
  })");
  auto r = docker({"run", "--rm", "--runtime", "berth", "--network", "none", "--security-opt",
                   "seccomp=" + (tmp_ / "profile.json"), "berthbox", "sh", "-c", "mkdir /newdir || echo refused"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "refused\n");
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;  // errno 28
}

TEST_F(DockerdPeer, TerminalGivesAPty) {
  auto r = docker({"run", "--rm", "-t", "--runtime", "berth", "--network", "none", "berthbox", "sh", "-c",
                   "tty; stty size"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("/dev/pts/", 0), 0u) << r.out;
}

TEST_F(DockerdPeer, DetachedContainerIsKilledAndRemoved) {
  auto run = docker({"run", "-d", "--runtime", "berth", "--network", "none", "berthbox", "sleep", "300"});
  ASSERT_EQ(run.status, 0) << run.err << "\n" << daemon_->log_tail();
  std::string id = trim(run.out);
  ASSERT_EQ(id.size(), 64u) << run.out;
  EXPECT_EQ(inspect(id, "{{.State.Status}}"), "running");
  EXPECT_EQ(inspect(id, "{{.HostConfig.Runtime}}"), "berth");

  auto ex = docker({"exec", id, "sh", "-c", "echo exec-ok; cat /proc/1/comm"});
  EXPECT_EQ(ex.status, 0) << ex.err;
  EXPECT_EQ(ex.out, "exec-ok\nsleep\n");
  auto ext = docker({"exec", "-t", id, "tty"});  // exec with --console-socket
  EXPECT_EQ(ext.status, 0) << ext.err;
  EXPECT_EQ(ext.out.rfind("/dev/pts/", 0), 0u) << ext.out;

  auto k = docker({"kill", id});
  EXPECT_EQ(k.status, 0) << k.err;
  EXPECT_TRUE(test::wait_until([&] { return inspect(id, "{{.State.Status}}") == "exited"; }, 20s))
      << "status after kill: " << inspect(id, "{{.State.Status}}");
  EXPECT_EQ(inspect(id, "{{.State.ExitCode}}"), "137");
  auto rm = docker({"rm", id});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
  auto list = test::run({peers::runtime_binary(), "--root", tmp_ / "exec/runtime-runc/moby", "list", "-q"});
  EXPECT_EQ(list.out, "") << list.err;
  EXPECT_FALSE(cgroups_->any_left_below(id));
}

TEST_F(DockerdPeer, StopSendsTermThenTheContainerExits) {
  // sh as pid 1 ignores SIGTERM without a handler; trap makes it exit 0 on TERM.
  auto run = docker({"run", "-d", "--runtime", "berth", "--network", "none", "berthbox", "sh", "-c",
                     "trap 'exit 0' TERM; while :; do sleep 0.1; done"});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = trim(run.out);
  auto stop = docker({"stop", "-t", "20", id});
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_EQ(inspect(id, "{{.State.ExitCode}}"), "0");
  EXPECT_EQ(docker({"rm", id}).status, 0);
}
