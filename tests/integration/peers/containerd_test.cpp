// Debian's containerd driving berth-runtime through its runc shim (ctr run --runc-binary):
// a private containerd (own config, root, state, socket), an image imported from a tarball built
// here, a short-lived container whose output we read, and a long-running one that is killed and
// removed. Nothing may be left behind.
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

#include "peer_support.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

class ContainerdPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_program("containerd") || !test::have_program("ctr") ||
        !test::have_program("containerd-shim-runc-v2"))
      GTEST_SKIP() << "containerd, ctr or containerd-shim-runc-v2 is not installed";
    ns_ = "berthpeer" + std::to_string(getpid());
    cgroups_ = std::make_unique<peers::CgroupParentCleanup>("berth-peers-ctd-" + std::to_string(getpid()));
    // The shim and ctr put sockets and fifos below /run/containerd whatever the config says.
    strays_ = std::make_unique<peers::StrayDirs>(std::vector<std::string>{
        "/run/containerd", "/run/containerd/fifo", "/run/containerd/s"});
    sock_ = tmp_ / "c.sock";
    test::write_text(tmp_ / "config.toml", config_toml());
    daemon_ = std::make_unique<peers::Daemon>(
        std::vector<std::string>{"containerd", "--config", tmp_ / "config.toml"}, tmp_ / "containerd.log");
    bool up = test::wait_until([&] { return ctr({"version"}).status == 0; }, 30s, 50ms);
    ASSERT_TRUE(up) << "containerd did not come up:\n" << daemon_->log_tail();
    image_ = peers::make_busybox_archive(tmp_ / "image", "berthbox:latest");
    auto imp = ctr({"images", "import", image_});
    ASSERT_EQ(imp.status, 0) << imp.out << imp.err;
  }

  void TearDown() override {
    if (!daemon_) return;
    ctr({"images", "rm", ref_});
    EXPECT_TRUE(daemon_->stop()) << "containerd did not stop on SIGTERM";
    EXPECT_TRUE(test::wait_until([&] { return peers::processes_mentioning(tmp_.path()).empty(); }, 10s))
        << "processes (shims, container inits) outlived containerd";
    EXPECT_EQ(peers::mounts_below(tmp_.path()), std::vector<std::string>{}) << "mounts left behind";
  }

  std::string config_toml() const {
    std::string t = tmp_.path();
    return "version = 2\n"
           "root = \"" + t + "/root\"\n"
           "state = \"" + t + "/state\"\n"
           "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.snapshotter.v1.btrfs\", "
           "\"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\", "
           "\"io.containerd.snapshotter.v1.aufs\"]\n"
           "[grpc]\n  address = \"" + sock_ + "\"\n"
           "[ttrpc]\n  address = \"" + sock_ + ".ttrpc\"\n"
           "[debug]\n  address = \"\"\n"
           "[metrics]\n  address = \"\"\n"
           "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + t + "/opt\"\n";
  }

  test::CmdResult ctr(std::vector<std::string> args, std::chrono::seconds timeout = 60s) {
    std::vector<std::string> argv = {"ctr", "-a", sock_, "-n", ns_};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, "", timeout);
  }

  // ctr run with berth-runtime as the shim's runc, its state under our temp dir.
  std::vector<std::string> run_args(const std::string& id) {
    return {"run", "--runc-binary", peers::runtime_binary(), "--runc-root", tmp_ / "runtime-root",
            "--cgroup", "/" + cgroups_->name() + "/" + id};
  }

  std::string task_status(const std::string& id) {
    auto r = ctr({"task", "ls"});
    std::istringstream ss(r.out);
    std::string line;
    while (std::getline(ss, line)) {
      std::istringstream ls(line);
      std::string tid, pid, status;
      ls >> tid >> pid >> status;
      if (tid == id) return status;
    }
    return "";
  }

  test::TempDir tmp_{"berth-peer-ctd"};
  std::string ns_, sock_, image_, ref_ = "docker.io/library/berthbox:latest";
  std::unique_ptr<peers::CgroupParentCleanup> cgroups_;
  std::unique_ptr<peers::StrayDirs> strays_;
  std::unique_ptr<peers::Daemon> daemon_;
};

}  // namespace

TEST_F(ContainerdPeer, RunPrintsOutput) {
  auto args = run_args("echo1");
  args.insert(args.end(), {"--rm", ref_, "echo1", "echo", "hello from berth"});
  auto r = ctr(args);
  EXPECT_EQ(r.status, 0) << r.err << "\n" << daemon_->log_tail();
  EXPECT_EQ(r.out, "hello from berth\n");
  EXPECT_EQ(ctr({"containers", "ls", "-q"}).out, "");
  EXPECT_FALSE(cgroups_->any_left_below("echo1"));
}

TEST_F(ContainerdPeer, DefaultSeccompProfileIsEnforced) {
  // ctr --seccomp puts containerd's default profile into config.json.
  auto args = run_args("sec1");
  args.insert(args.end(), {"--rm", "--seccomp", ref_, "sec1", "sh", "-c",
                           "grep Seccomp: /proc/self/status; unshare -U true && echo unshare-allowed || echo unshare-denied"});
  auto r = ctr(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unshare-denied"), std::string::npos) << r.out;
}

TEST_F(ContainerdPeer, TerminalGivesAPty) {
  // ctr -t wants a terminal of its own: script(1) gives it one. The shim then passes
  // --console-socket and berth sends the pty master over it.
  if (!test::have_program("script")) GTEST_SKIP() << "script(1) is not installed";
  auto args = run_args("tty1");
  args.insert(args.end(), {"--rm", "-t", ref_, "tty1", "tty"});
  std::string line = "ctr -a " + sock_ + " -n " + ns_;
  for (auto& a : args) line += " '" + a + "'";
  auto r = test::run({"script", "-qec", line, "/dev/null"});
  EXPECT_EQ(r.status, 0) << r.out << r.err << "\n" << daemon_->log_tail(1500);
  EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
  EXPECT_EQ(ctr({"containers", "ls", "-q"}).out, "");
}

TEST_F(ContainerdPeer, ExitStatusIsReported) {
  auto args = run_args("exit7");
  args.insert(args.end(), {"--rm", ref_, "exit7", "sh", "-c", "exit 7"});
  auto r = ctr(args);
  EXPECT_EQ(r.status, 7) << r.err;
}

TEST_F(ContainerdPeer, LongRunningContainerIsKilledAndRemoved) {
  auto args = run_args("sleeper");
  args.insert(args.end(), {"-d", ref_, "sleeper", "sleep", "300"});
  auto r = ctr(args);
  ASSERT_EQ(r.status, 0) << r.err << "\n" << daemon_->log_tail();
  ASSERT_TRUE(test::wait_until([&] { return task_status("sleeper") == "RUNNING"; }, 20s))
      << "task status " << task_status("sleeper");

  auto ex = ctr({"task", "exec", "--exec-id", "probe", "sleeper", "cat", "/proc/1/cmdline"});
  EXPECT_EQ(ex.status, 0) << ex.err;
  EXPECT_EQ(ex.out, std::string("sleep") + '\0' + "300" + '\0');

  auto k = ctr({"task", "kill", "-s", "SIGKILL", "sleeper"});
  EXPECT_EQ(k.status, 0) << k.err;
  EXPECT_TRUE(test::wait_until([&] { return task_status("sleeper") == "STOPPED"; }, 20s))
      << "task status after kill: " << task_status("sleeper");
  auto rm = ctr({"task", "rm", "sleeper"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  auto crm = ctr({"containers", "rm", "sleeper"});
  EXPECT_EQ(crm.status, 0) << crm.err;

  EXPECT_EQ(ctr({"containers", "ls", "-q"}).out, "");
  // The runtime's own view: no container left in its state directory.
  auto list = test::run({peers::runtime_binary(), "--root", tmp_ / "runtime-root" + "/" + ns_, "list", "-q"});
  EXPECT_EQ(list.out, "") << list.err;
  EXPECT_FALSE(cgroups_->any_left_below("sleeper"));
}
