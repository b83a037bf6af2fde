// Debian's podman with berth-runtime as its OCI runtime (--runtime): private storage, run and
// tmp directories, cgroupfs manager, no network; conmon calls berth-runtime as it would runc.
// Output, tty, exec, kill and rm; nothing may be left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include "peer_support.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

class PodmanPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_program("podman") || !test::have_program("conmon"))
      GTEST_SKIP() << "podman or conmon is not installed";
    cgroups_ = std::make_unique<peers::CgroupParentCleanup>("berth-peers-podman-" + std::to_string(getpid()));
    // Created by podman even with --network none.
    strays_ = std::make_unique<peers::StrayDirs>(
        std::vector<std::string>{"/run/containers", "/run/containers/networks",
                                 "/run/berth-runtime", "/run/berth-runtime/.seccomp-cache"});
    auto load = podman({"load", "-i", peers::make_busybox_archive(tmp_ / "image", "berthbox:latest")});
    ASSERT_EQ(load.status, 0) << load.out << load.err;
  }

  void TearDown() override {
    if (!cgroups_) return;
    podman({"rm", "-af"});
    podman({"rmi", "-af"});
    EXPECT_TRUE(test::wait_until([&] { return peers::processes_mentioning(tmp_.path()).empty(); }, 10s))
        << "processes (conmon, container inits) outlived their containers";
    EXPECT_EQ(peers::mounts_below(tmp_.path()), std::vector<std::string>{}) << "mounts left behind";
  }

  test::CmdResult podman(std::vector<std::string> args, std::chrono::seconds timeout = 60s) {
    // TMPDIR: podman load stages the archive there.
    std::vector<std::string> argv = {"env", "TMPDIR=" + tmp_.path(), "podman",
                                     "--root", tmp_ / "root",
                                     "--runroot", tmp_ / "runroot",
                                     "--tmpdir", tmp_ / "libpod-tmp",
                                     "--runtime", peers::runtime_binary(),
                                     "--cgroup-manager", "cgroupfs",
                                     "--events-backend", "file",
                                     "--storage-driver", "overlay"};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, "", timeout);
  }

  std::vector<std::string> run_args() {
    return {"run", "--network", "none", "--cgroup-parent", "/" + cgroups_->name()};
  }

  std::string inspect(const std::string& id, const std::string& format) {
    std::string s = podman({"inspect", "-f", format, id}).out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  test::TempDir tmp_{"berth-peer-podman"};
  std::unique_ptr<peers::CgroupParentCleanup> cgroups_;
  std::unique_ptr<peers::StrayDirs> strays_;
  const std::string image_ = "localhost/berthbox:latest";
};

}  // namespace

TEST_F(PodmanPeer, RunPrintsOutput) {
  auto args = run_args();
  args.insert(args.end(), {"--rm", image_, "echo", "hello from berth"});
  auto r = podman(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from berth\n");
  EXPECT_EQ(podman({"ps", "-aq"}).out, "");
}

TEST_F(PodmanPeer, DefaultSeccompProfileIsEnforced) {
  // podman's default profile (containers-common seccomp.json) arrives in config.json.
  auto args = run_args();
  // (It allows unshare, unlike Docker's, so only the filter's presence is checked here.)
  args.insert(args.end(), {"--rm", image_, "grep", "Seccomp", "/proc/self/status"});
  auto r = podman(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Seccomp:\t2\nSeccomp_filters:\t1\n");
}

TEST_F(PodmanPeer, ExitCodeIsReported) {
  auto args = run_args();
  args.insert(args.end(), {"--rm", image_, "sh", "-c", "exit 5"});
  EXPECT_EQ(podman(args).status, 5);
}

TEST_F(PodmanPeer, TerminalGivesAPty) {
  auto args = run_args();
  args.insert(args.end(), {"--rm", "-t", image_, "sh", "-c", "tty"});
  auto r = podman(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("/dev/pts/", 0), 0u) << r.out;
}

TEST_F(PodmanPeer, DetachedContainerIsKilledAndRemoved) {
  auto args = run_args();
  args.insert(args.end(), {"-d", image_, "sleep", "300"});
  auto run = podman(args);
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, run.out.find('\n'));
  ASSERT_EQ(id.size(), 64u) << run.out;
  EXPECT_EQ(inspect(id, "{{.State.Status}}"), "running");

  auto ex = podman({"exec", id, "sh", "-c", "echo exec-ok; cat /proc/1/comm"});
  EXPECT_EQ(ex.status, 0) << ex.err;
  EXPECT_EQ(ex.out, "exec-ok\nsleep\n");
  auto ext = podman({"exec", "-t", id, "tty"});  // exec with --console-socket
  EXPECT_EQ(ext.status, 0) << ext.err;
  EXPECT_EQ(ext.out.rfind("/dev/pts/", 0), 0u) << ext.out;

  auto k = podman({"kill", id});
  EXPECT_EQ(k.status, 0) << k.err;
  EXPECT_TRUE(test::wait_until([&] { return inspect(id, "{{.State.Status}}") == "exited"; }, 20s))
      << "status after kill: " << inspect(id, "{{.State.Status}}");
  auto rm = podman({"rm", id});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(podman({"ps", "-aq"}).out, "");
  EXPECT_FALSE(cgroups_->any_left_below(id));
}
