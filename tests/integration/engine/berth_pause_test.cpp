// berth-pause, the pod sandbox's pid 1: static, small, reaps orphans in its pid namespace, ends
// with status 0 on SIGTERM/SIGINT.
#include <elf.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/pause_binary.hpp"
#include "support/support.hpp"

using namespace berth;
namespace fs = std::filesystem;

namespace {

std::string pause_bin() { return test::bin("berth-pause"); }

// Starts berth-pause as pid 1 of a new pid namespace; returns its pid as seen from here.
pid_t start_as_pid1() {
  std::string path = pause_bin();
  char* argv[] = {path.data(), nullptr};
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

// Ends a pause process a failed test left running.
struct Reaper {
  pid_t pid = -1;
  ~Reaper() {
    if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
  }
};

int wait_status(pid_t pid) {
  int st = 0;
  // Bounded: the process is told to stop just before; a hang is the failure.
  bool done = test::wait_until([&] { return waitpid(pid, &st, WNOHANG) == pid; }, std::chrono::seconds(10));
  return done ? st : -1;
}

ino_t pid_ns_of(pid_t pid) {
  struct stat st {};
  return stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) == 0 ? st.st_ino : 0;
}

// True once pid sits in sigwaitinfo (while it waits, the kernel shows the awaited signals as
// unblocked in /proc/PID/status, so the wait channel is what tells).
bool waits_for_signals(pid_t pid) {
  return test::read_text("/proc/" + std::to_string(pid) + "/wchan").starts_with("do_sigtimedwait");
}

// Processes other than pid 1 living (or dead, unreaped) in the namespace.
std::vector<pid_t> others_in_ns(ino_t ns, pid_t init) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t p = std::stoi(name);
    if (p != init && pid_ns_of(p) == ns) out.push_back(p);
  }
  return out;
}

}  // namespace

TEST(BerthPause, IsStaticAndSmall) {
  std::ifstream f(pause_bin(), std::ios::binary);
  ASSERT_TRUE(f) << pause_bin();
  Elf64_Ehdr eh{};
  ASSERT_TRUE(f.read(reinterpret_cast<char*>(&eh), sizeof eh));
  ASSERT_EQ(std::string(reinterpret_cast<char*>(eh.e_ident), 4), "\x7f" "ELF");
  ASSERT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.seekg(static_cast<std::streamoff>(eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize));
    ASSERT_TRUE(f.read(reinterpret_cast<char*>(&ph), sizeof ph));
    EXPECT_NE(ph.p_type, static_cast<uint32_t>(PT_INTERP)) << "berth-pause needs a dynamic loader";
    EXPECT_NE(ph.p_type, static_cast<uint32_t>(PT_DYNAMIC)) << "berth-pause is dynamically linked";
  }
  // glibc's static start-up code alone is ~660 KB; libstdc++ or iostreams would add far more.
  EXPECT_LT(fs::file_size(pause_bin()), 800u * 1024) << "berth-pause grew: libstdc++ linked in?";
}

TEST(BerthPause, PrintsItsVersion) {
  auto r = test::run({pause_bin(), "-v"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "berth-pause version 0.1.0\n");
  auto bad = test::run({pause_bin(), "--bogus"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("usage: berth-pause"), std::string::npos);
}

TEST(BerthPause, BerthdFindsItNextToItself) {
  // The test binary lives in build/bin like berthd: the same lookup finds berth-pause there.
  EXPECT_EQ(engine::default_pause_path(), pause_bin());
  EXPECT_EQ(access(engine::default_pause_path().c_str(), X_OK), 0);
}

TEST(BerthPause, ExitsZeroOnSigtermAsPid1) {
  Reaper r{start_as_pid1()};
  ASSERT_GT(r.pid, 0) << strerror(errno);
  // Running as pid 1 (its NSpid ends in 1), signals blocked and waited for.
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto s = test::read_text("/proc/" + std::to_string(r.pid) + "/status");
        return s.find("NSpid:\t" + std::to_string(r.pid) + "\t1\n") != std::string::npos && waits_for_signals(r.pid);
      },
      std::chrono::seconds(10)))
      << test::read_text("/proc/" + std::to_string(r.pid) + "/status");
  ASSERT_EQ(kill(r.pid, SIGTERM), 0);
  int st = wait_status(r.pid);
  ASSERT_NE(st, -1) << "berth-pause did not exit on SIGTERM";
  r.pid = -1;
  EXPECT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

TEST(BerthPause, ExitsZeroOnSigint) {
  pid_t pid = 0;
  std::string path = pause_bin();
  char* argv[] = {path.data(), nullptr};
  pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  Reaper r{pid};
  ASSERT_TRUE(test::wait_until(
      [&] { return waits_for_signals(pid); },
      std::chrono::seconds(10)));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int st = wait_status(pid);
  ASSERT_NE(st, -1) << "berth-pause did not exit on SIGINT";
  r.pid = -1;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
}

TEST(BerthPause, ReapsOrphansInItsPidNamespace) {
  if (!test::have_program("nsenter")) GTEST_SKIP() << "nsenter is not installed";
  Reaper r{start_as_pid1()};
  ASSERT_GT(r.pid, 0) << strerror(errno);
  ASSERT_TRUE(test::wait_until([&] { return test::read_text("/proc/" + std::to_string(r.pid) + "/comm") == "berth-pause\n"; },
                               std::chrono::seconds(10)));
  ino_t ns = pid_ns_of(r.pid);
  ASSERT_NE(ns, 0u);
  // sh starts a background child and exits at once: the child is orphaned, reparented to pid 1
  // of the namespace, and is a zombie after it ends unless berth-pause reaps it.
  auto out = test::run({"nsenter", "--target", std::to_string(r.pid), "--pid", "--", "/bin/sh", "-c",
                        "/bin/sleep 0.2 & echo $!"});
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_NE(std::stoi(out.out), 1) << "the orphan runs inside the namespace";
  bool reaped = test::wait_until([&] { return others_in_ns(ns, r.pid).empty(); }, std::chrono::seconds(10));
  EXPECT_TRUE(reaped) << "the orphan was not reaped: " << others_in_ns(ns, r.pid).size() << " left";
  EXPECT_EQ(kill(r.pid, SIGTERM), 0);
  EXPECT_NE(wait_status(r.pid), -1);
  r.pid = -1;
}
