// Shared by the cgroup integration suites: the three layouts as test types, a child process
// that waits to be moved into the cgroup before it acts, and a fixture that removes every
// cgroup it created (killing what is left inside) even when a test fails.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "support/support.hpp"

namespace berth::test {

using runtime::CgroupLayout;
using runtime::CgroupManager;
using runtime::CgroupRoots;

// The probed roots narrowed to one layout; nullopt when this host cannot offer it.
inline std::optional<CgroupRoots> roots_for(CgroupLayout want) {
  auto probed = runtime::probe_cgroup_roots();
  if (!probed) return std::nullopt;
  CgroupRoots r = *probed;
  switch (want) {
    case CgroupLayout::V1:
      if (r.v1.empty()) return std::nullopt;
      r.unified.clear();
      break;
    case CgroupLayout::V2:
      if (r.unified.empty()) return std::nullopt;
      r.v1.clear();
      break;
    case CgroupLayout::Hybrid:
      if (r.v1.empty() || r.unified.empty() || r.layout == CgroupLayout::V2) return std::nullopt;
      break;
  }
  r.layout = want;
  return r;
}

struct V1 { static constexpr CgroupLayout kLayout = CgroupLayout::V1; };
struct V2 { static constexpr CgroupLayout kLayout = CgroupLayout::V2; };
struct Hybrid { static constexpr CgroupLayout kLayout = CgroupLayout::Hybrid; };

// A forked child that blocks until go(): the parent moves it into the cgroup first.
// The action's return value is the exit code.
class Child {
 public:
  explicit Child(std::function<int(int in_fd, int out_fd)> action) {
    int cmd[2], res[2];
    if (::pipe2(cmd, O_CLOEXEC) != 0 || ::pipe2(res, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(cmd[1]);
      ::close(res[0]);
      char c;
      if (::read(cmd[0], &c, 1) != 1) ::_exit(120);
      ::_exit(action(cmd[0], res[1]));
    }
    ::close(cmd[0]);
    ::close(res[1]);
    cmd_ = cmd[1];
    res_ = res[0];
  }
  ~Child() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    ::close(cmd_);
    ::close(res_);
  }
  pid_t pid() const { return pid_; }
  void go() { send('g'); }
  void send(char c) { ASSERT_EQ(::write(cmd_, &c, 1), 1); }
  int out_fd() const { return res_; }
  // Waits for a byte from the child, at most timeout; -1 when none came.
  int receive(std::chrono::milliseconds timeout) {
    pollfd p{res_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return -1;
    unsigned char c;
    return ::read(res_, &c, 1) == 1 ? c : -1;
  }
  // Reaps the child within timeout; returns the wait status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout) {
    int st = -1;
    bool done = wait_until([&] { return ::waitpid(pid_, &st, WNOHANG) == pid_; }, timeout, std::chrono::milliseconds(5));
    if (done) status_ = st;
    return done ? st : -1;
  }

 private:
  pid_t pid_ = -1;
  int cmd_ = -1, res_ = -1;
  int status_ = -1;
};

// Makes a manager for /berth-test-<pid>/<name> and cleans everything up at the end.
template <class L>
class CgroupFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto r = roots_for(L::kLayout);
    if (!r) GTEST_SKIP() << "this host has no " << runtime::cgroup_layout_name(L::kLayout) << " cgroups";
    roots = *r;
    parent = "/berth-test-" + std::to_string(::getpid());
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path = parent + "/" + info->name();
    auto m = runtime::make_cgroup_manager(roots, path, "c", false);
    ASSERT_TRUE(m) << m.error().what();
    mgr = std::move(*m);
  }

  void TearDown() override {
    if (!mgr) return;
    // Whatever a failed test left inside: thaw, kill, wait for the kernel to empty the cgroup.
    (void)mgr->thaw();
    wait_until([&] {
      auto p = mgr->pids();
      if (!p || p->empty()) return true;
      for (pid_t pid : *p) ::kill(pid, SIGKILL);
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
      return false;
    }, std::chrono::seconds(10));
    auto d = mgr->destroy();
    EXPECT_TRUE(d) << d.error().what();
    for (auto& dir : dirs(parent)) {
      (void)runtime::cg::remove_tree(dir);
      EXPECT_FALSE(path_exists(dir)) << dir << " left behind";
    }
  }

  // The directory of cgroup path p in every hierarchy this layout uses.
  std::vector<std::string> dirs(const std::string& p) const {
    std::vector<std::string> out;
    for (auto& h : roots.v1) out.push_back(h.mountpoint + p);
    if (!roots.unified.empty()) out.push_back(roots.unified + p);
    return out;
  }
  static bool path_exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }
  std::string v1_dir(const std::string& controller) const {
    for (auto& h : roots.v1)
      for (auto& c : h.controllers)
        if (c == controller) return h.mountpoint + path;
    return "";
  }

  CgroupRoots roots;
  std::string parent, path;
  std::unique_ptr<CgroupManager> mgr;
};

}  // namespace berth::test
