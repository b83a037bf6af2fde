// Compiled linux.seccomp profiles loaded into a forked child: the kernel's real behaviour.
// Each child loads the filter, makes the syscalls under test and reports through its exit
// status (it must not run gtest code after fork).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/console.hpp"
#include "runtime/seccomp/seccomp.hpp"
#include "support/support.hpp"

using berth::runtime::compile_seccomp;
using berth::runtime::SeccompFilter;
using nlohmann::json;

namespace {

// These tests compile many throwaway profiles: keep them out of the shared program cache.

constexpr int kLoadFailed = 250;

// Waits at most `timeout` for pid; kills it and fails the test on timeout. Returns the wait status.
int wait_child_for(pid_t pid, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  EXPECT_GE(pidfd, 0) << strerror(errno);
  pollfd p{pidfd, POLLIN, 0};
  int n = poll(&p, 1, static_cast<int>(std::chrono::milliseconds(timeout).count()));
  close(pidfd);
  if (n != 1) {
    kill(pid, SIGKILL);
    ADD_FAILURE() << "child " << pid << " did not exit within " << timeout.count() << "s";
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

// Forks; the child loads the filter and exits with body()'s value.
int run_filtered(SeccompFilter& f, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // SIGSYS would dump core
    if (!f.load()) _exit(kLoadFailed);
    _exit(body());
  }
  return wait_child_for(pid);
}

int run_profile(const json& profile, const std::function<int()>& body) {
  auto f = compile_seccomp(profile);
  EXPECT_TRUE(f) << f.error().what();
  if (!f) return -1;
  return run_filtered(*f, body);
}

int exit_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : -1; }
int term_signal(int st) { return WIFSIGNALED(st) ? WTERMSIG(st) : 0; }

// errno of a failed raw syscall, 0 when it succeeded.
int errno_of(long rc) { return rc < 0 ? errno : 0; }

json allow_with(json rules) { return json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", std::move(rules)}}; }

}  // namespace

TEST(SeccompFilter, ErrnoDefaultsToEperm) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  int st = run_profile(allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}),
                       [&] { return errno_of(mkdir(dir.c_str(), 0755)); });
  EXPECT_EQ(exit_code(st), EPERM);
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
}

TEST(SeccompFilter, ErrnoRetIsReturned) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  int st = run_profile(
      allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 42}}}),
      [&] { return errno_of(mkdir(dir.c_str(), 0755)); });
  EXPECT_EQ(exit_code(st), 42);
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
}

TEST(SeccompFilter, DefaultErrnoRetAppliesToUnlistedSyscalls) {
  json p = {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"defaultErrnoRet", 77},
            {"syscalls", {{{"names", {"exit_group", "exit"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  int st = run_profile(p, [] { return errno_of(syscall(SYS_getppid)); });
  EXPECT_EQ(exit_code(st), 77);
}

TEST(SeccompFilter, ArgumentConditionBlocksOnlyMatchingCalls) {
  // personality(0xffffffff) only queries; blocking that exact argument leaves other calls alone.
  json rule = {{"names", {"personality"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"errnoRet", 13},
               {"args", {{{"index", 0}, {"value", 0xffffffffULL}, {"op", "SCMP_CMP_EQ"}}}}};
  int st = run_profile(allow_with({rule}), [] {
    int blocked = errno_of(syscall(SYS_personality, 0xffffffffUL));
    int allowed = errno_of(syscall(SYS_personality, PER_LINUX));
    return blocked == 13 && allowed == 0 ? 0 : 1;
  });
  EXPECT_EQ(exit_code(st), 0);
}

TEST(SeccompFilter, ConditionsOnDifferentArgumentsAllMustMatch) {
  // getpriority(PRIO_PROCESS, 12345): both conditions hold -> blocked; one alone does not block.
  json rule = {{"names", {"getpriority"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"errnoRet", 99},
               {"args",
                {{{"index", 0}, {"value", PRIO_PROCESS}, {"op", "SCMP_CMP_EQ"}},
                 {{"index", 1}, {"value", 12345}, {"op", "SCMP_CMP_EQ"}}}}};
  int st = run_profile(allow_with({rule}), [] {
    int both = errno_of(syscall(SYS_getpriority, PRIO_PROCESS, 12345));
    int first_only = errno_of(syscall(SYS_getpriority, PRIO_PROCESS, 0));
    int second_only = errno_of(syscall(SYS_getpriority, PRIO_PGRP, 12345));
    return both == 99 && first_only == 0 && second_only != 99 ? 0 : 1;
  });
  EXPECT_EQ(exit_code(st), 0);
}

TEST(SeccompFilter, ConditionsOnSameArgumentAreAlternatives) {
  // Two comparisons on arg 0 become two rules (runc's behaviour): either value is blocked.
  json rule = {{"names", {"umask"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"errnoRet", 55},
               {"args",
                {{{"index", 0}, {"value", 011}, {"op", "SCMP_CMP_EQ"}},
                 {{"index", 0}, {"value", 022}, {"op", "SCMP_CMP_EQ"}}}}};
  int st = run_profile(allow_with({rule}), [] {
    int a = errno_of(syscall(SYS_umask, 011));
    int b = errno_of(syscall(SYS_umask, 022));
    int c = errno_of(syscall(SYS_umask, 033));
    return a == 55 && b == 55 && c == 0 ? 0 : 1;
  });
  EXPECT_EQ(exit_code(st), 0);
}

TEST(SeccompFilter, MaskedEqualUsesValueAsMaskAndValueTwoAsDatum) {
  json rule = {{"names", {"umask"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"errnoRet", 56},
               {"args", {{{"index", 0}, {"value", 0100}, {"valueTwo", 0100}, {"op", "SCMP_CMP_MASKED_EQ"}}}}};
  int st = run_profile(allow_with({rule}), [] {
    int with_bit = errno_of(syscall(SYS_umask, 0177));
    int without_bit = errno_of(syscall(SYS_umask, 0077));
    return with_bit == 56 && without_bit == 0 ? 0 : 1;
  });
  EXPECT_EQ(exit_code(st), 0);
}

TEST(SeccompFilter, OrderingOperators) {
  // umask(mask) with mask > 0700 blocked (GT), mask < 0002 blocked (LT), others allowed.
  json rules = {{{"names", {"umask"}},
                 {"action", "SCMP_ACT_ERRNO"},
                 {"errnoRet", 60},
                 {"args", {{{"index", 0}, {"value", 0700}, {"op", "SCMP_CMP_GT"}}}}},
                {{"names", {"umask"}},
                 {"action", "SCMP_ACT_ERRNO"},
                 {"errnoRet", 61},
                 {"args", {{{"index", 0}, {"value", 02}, {"op", "SCMP_CMP_LT"}}}}}};
  int st = run_profile(allow_with(rules), [] {
    int hi = errno_of(syscall(SYS_umask, 0777));
    int lo = errno_of(syscall(SYS_umask, 01));
    int mid = errno_of(syscall(SYS_umask, 022));
    return hi == 60 && lo == 61 && mid == 0 ? 0 : 1;
  });
  EXPECT_EQ(exit_code(st), 0);
}

TEST(SeccompFilter, KillProcessKillsWithSigsys) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  int st = run_profile(allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}}),
                       [&] {
                         mkdir(dir.c_str(), 0755);
                         return 0;
                       });
  EXPECT_EQ(term_signal(st), SIGSYS) << "status " << st;
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
}

TEST(SeccompFilter, KillThreadKillsSingleThreadedProcess) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"}) {
    int st = run_profile(allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", action}}}), [&] {
      mkdir(dir.c_str(), 0755);
      return 0;
    });
    EXPECT_EQ(term_signal(st), SIGSYS) << action << ": status " << st;
  }
}

namespace {
volatile sig_atomic_t g_trapped_syscall = -1;
void on_sigsys(int, siginfo_t* si, void*) { g_trapped_syscall = si->si_syscall; }
}  // namespace

TEST(SeccompFilter, TrapDeliversSigsysWithSyscallNumber) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  int st = run_profile(allow_with({{{"names", {"mkdir"}}, {"action", "SCMP_ACT_TRAP"}}}), [&] {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSYS, &sa, nullptr);
    syscall(SYS_mkdir, dir.c_str(), 0755);
    return g_trapped_syscall == SYS_mkdir ? 0 : 1;
  });
  EXPECT_EQ(exit_code(st), 0);
  EXPECT_NE(access(dir.c_str(), F_OK), 0);

  // Without a handler the trap is fatal.
  st = run_profile(allow_with({{{"names", {"mkdir"}}, {"action", "SCMP_ACT_TRAP"}}}), [&] {
    syscall(SYS_mkdir, dir.c_str(), 0755);
    return 0;
  });
  EXPECT_EQ(term_signal(st), SIGSYS);
}

TEST(SeccompFilter, LogAllowsTheCall) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  int st = run_profile(allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_LOG"}}}),
                       [&] { return errno_of(mkdir(dir.c_str(), 0755)); });
  EXPECT_EQ(exit_code(st), 0);
  struct stat sb;
  EXPECT_EQ(stat(dir.c_str(), &sb), 0);
}

TEST(SeccompFilter, TraceWithoutTracerFailsWithEnosys) {
  int st = run_profile(allow_with({{{"names", {"getpriority"}}, {"action", "SCMP_ACT_TRACE"}, {"errnoRet", 7}}}),
                       [] { return errno_of(syscall(SYS_getpriority, PRIO_PROCESS, 0)); });
  EXPECT_EQ(exit_code(st), ENOSYS);
}

TEST(SeccompFilter, ProcStatusShowsFilterMode) {
  int st = run_profile(json{{"defaultAction", "SCMP_ACT_ALLOW"}}, [] {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Seccomp:", 0) == 0) return line == "Seccomp:\t2" ? 0 : 1;
    return 2;
  });
  EXPECT_EQ(exit_code(st), 0);
}

TEST(SeccompFilter, UnknownSyscallSkippedRestStillApplies) {
  int st = run_profile(
      allow_with({{{"names", {"berth_not_a_syscall", "getpriority"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 31}}}),
      [] { return errno_of(syscall(SYS_getpriority, PRIO_PROCESS, 0)); });
  EXPECT_EQ(exit_code(st), 31);
}

#if defined(__x86_64__)
namespace {
// mkdir through the i386 ABI (int $0x80, syscall 39); the path must sit below 4 GiB.
long mkdir_i386(const char* low_path) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(39L), "b"(low_path), "c"(0755L) : "memory");
  return ret;
}
}  // namespace

TEST(SeccompFilter, ArchitecturesCoverOtherAbis) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "i386dir";
  json rules = {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 44}}};
  // Kernels may be built or booted without the i386 ABI (ia32_emulation=0).
  pid_t probe = fork();
  if (probe == 0) {
    long r;
    asm volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");  // i386 getpid
    _exit(r == getpid() ? 0 : 1);
  }
  if (exit_code(wait_child_for(probe)) != 0) GTEST_SKIP() << "this kernel does not run i386 syscalls";
  void* low = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  ASSERT_NE(low, MAP_FAILED);
  std::memcpy(low, dir.c_str(), dir.size() + 1);

  // With SCMP_ARCH_X86 in the filter, the i386 mkdir hits the same rule.
  json p = allow_with(rules);
  p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  int st = run_profile(p, [&] { return static_cast<int>(-mkdir_i386(static_cast<char*>(low))); });
  EXPECT_EQ(exit_code(st), 44);

  // Without it, a foreign-ABI syscall is a bad architecture: the process is killed.
  st = run_profile(allow_with(rules), [&] { return static_cast<int>(-mkdir_i386(static_cast<char*>(low))); });
  EXPECT_EQ(term_signal(st), SIGSYS) << "status " << st;
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
  munmap(low, 4096);
}
#endif

namespace {
struct ThreadArgs {
  int go_fd;
  const char* dir;
  int result = -1;
};
void* mkdir_when_told(void* p) {
  auto* a = static_cast<ThreadArgs*>(p);
  char c;
  if (read(a->go_fd, &c, 1) == 1) a->result = errno_of(mkdir(a->dir, 0755));
  return nullptr;
}
}  // namespace

TEST(SeccompFilter, TsyncAppliesFilterToExistingThreads) {
  berth::test::TempDir tmp;
  std::string dir = tmp / "d";
  for (bool tsync : {true, false}) {
    json p = allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 45}}});
    if (tsync) p["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC"};
    auto f = compile_seccomp(p);
    ASSERT_TRUE(f) << f.error().what();
    pid_t pid = fork();
    if (pid == 0) {
      int go[2];
      if (pipe(go) != 0) _exit(3);
      ThreadArgs args{go[0], dir.c_str()};
      pthread_t t;
      if (pthread_create(&t, nullptr, mkdir_when_told, &args) != 0) _exit(4);
      if (!f->load()) _exit(kLoadFailed);
      (void)!write(go[1], "x", 1);
      pthread_join(t, nullptr);
      _exit(args.result);
    }
    int st = wait_child_for(pid);
    EXPECT_EQ(exit_code(st), tsync ? 45 : 0) << (tsync ? "with" : "without") << " TSYNC";
    rmdir(dir.c_str());
  }
}

TEST(SeccompFilter, LogAndSpecAllowFlagsLoad) {
  json p = allow_with({{{"names", {"getpriority"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 33}}});
  p["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  int st = run_profile(p, [] { return errno_of(syscall(SYS_getpriority, PRIO_PROCESS, 0)); });
  EXPECT_EQ(exit_code(st), 33);
}

// --- SCMP_ACT_NOTIFY: the agent side is this test. ---

namespace {

struct Agent {
  std::string received_json;
  int received_fds = 0;
  int notified_nr = -1;
  pid_t notified_pid = 0;
  std::string error;
};

// Accepts one connection, takes the process state + fd, answers one notification with `val`.
void run_agent(int listen_fd, int64_t val, Agent& out) {
  pollfd p{listen_fd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) {
    out.error = "no connection from the runtime";
    return;
  }
  int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) {
    out.error = std::string("accept: ") + strerror(errno);
    return;
  }
  // Read the whole state (the runtime closes after sending); the fd comes with the first chunk.
  int notify_fd = -1;
  for (;;) {
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      out.received_fds += static_cast<int>(count);
      std::memcpy(&notify_fd, CMSG_DATA(c), sizeof(int));
    }
    out.received_json.append(buf, static_cast<size_t>(n));
  }
  close(conn);
  if (notify_fd < 0) {
    out.error = "no fd received";
    return;
  }
  pollfd np{notify_fd, POLLIN, 0};
  if (poll(&np, 1, 10000) != 1) {
    out.error = "no notification arrived";
    close(notify_fd);
    return;
  }
  seccomp_notif req{};
  if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    out.error = std::string("SECCOMP_IOCTL_NOTIF_RECV: ") + strerror(errno);
    close(notify_fd);
    return;
  }
  out.notified_nr = req.data.nr;
  out.notified_pid = static_cast<pid_t>(req.pid);
  seccomp_notif_resp resp{};
  resp.id = req.id;
  resp.val = val;
  resp.error = 0;
  if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0)
    out.error = std::string("SECCOMP_IOCTL_NOTIF_SEND: ") + strerror(errno);
  close(notify_fd);
}

int listen_unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST(SeccompFilter, NotifyHandsFdToListenerWhichAnswersTheSyscall) {
  berth::test::TempDir tmp;
  std::string sock_path = tmp / "agent.sock";
  std::string dir = tmp / "d";
  int listen_fd = listen_unix(sock_path);
  ASSERT_GE(listen_fd, 0) << strerror(errno);

  json p = allow_with({{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}});
  p["listenerPath"] = sock_path;
  p["listenerMetadata"] = "MKDIR=fake";
  p["flags"] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  auto f = compile_seccomp(p);
  ASSERT_TRUE(f) << f.error().what();
  ASSERT_TRUE(f->uses_notify());

  int sp[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  pid_t pid = fork();
  if (pid == 0) {
    // As the runtime's init does: load, hand the fd to the parent, then run.
    auto nfd = f->load();
    if (!nfd || *nfd < 0) _exit(kLoadFailed);
    if (!berth::runtime::send_fd(sp[1], *nfd, "seccompFd")) _exit(251);
    close(*nfd);
    long r = syscall(SYS_mkdir, dir.c_str(), 0755);
    _exit(r == 4242 ? 0 : (r < 0 ? 100 + errno % 100 : 99));
  }
  close(sp[1]);
  // The agent starts after fork, so the child never inherits a second thread's locks.
  Agent agent;
  std::thread agent_thread(run_agent, listen_fd, 4242, std::ref(agent));

  pollfd rp{sp[0], POLLIN, 0};
  ASSERT_EQ(poll(&rp, 1, 10000), 1) << "child did not send the notify fd";
  auto nfd = berth::runtime::recv_fd(sp[0]);
  ASSERT_TRUE(nfd) << nfd.error().what();
  json state = {{"ociVersion", "1.2.0"}, {"id", "notify-test"}, {"status", "creating"},
                {"pid", pid},            {"bundle", tmp.path()}};
  auto sent = berth::runtime::send_seccomp_notify_fd(f->listener_path(), nfd->get(), state, f->listener_metadata());
  EXPECT_TRUE(sent) << sent.error().what();
  nfd->reset();

  int st = wait_child_for(pid);
  agent_thread.join();
  close(listen_fd);
  close(sp[0]);
  EXPECT_EQ(agent.error, "");
  EXPECT_EQ(exit_code(st), 0) << "mkdir did not return the agent's value; status " << st;
  EXPECT_NE(access(dir.c_str(), F_OK), 0) << "the agent answered without running mkdir";
  EXPECT_EQ(agent.notified_nr, SYS_mkdir);
  EXPECT_EQ(agent.notified_pid, pid);
  EXPECT_EQ(agent.received_fds, 1);

  auto msg = json::parse(agent.received_json, nullptr, false);
  ASSERT_FALSE(msg.is_discarded()) << agent.received_json;
  EXPECT_EQ(msg["ociVersion"], "1.2.0");
  EXPECT_EQ(msg["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(msg["pid"], pid);
  EXPECT_EQ(msg["metadata"], "MKDIR=fake");
  EXPECT_EQ(msg["state"]["id"], "notify-test");
  EXPECT_EQ(msg["state"]["status"], "creating");
  EXPECT_EQ(msg["state"]["bundle"], tmp.path());
}

TEST(SeccompFilter, NotifySendFailsClearlyWithoutListener) {
  berth::test::TempDir tmp;
  int pfd[2];
  ASSERT_EQ(pipe(pfd), 0);
  auto r = berth::runtime::send_seccomp_notify_fd(tmp / "absent.sock", pfd[0], json{{"pid", 1}}, "");
  close(pfd[0]);
  close(pfd[1]);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("absent.sock"), std::string::npos) << r.error().what();
  EXPECT_EQ(r.error().errnum, ENOENT);
}

TEST(SeccompFilter, CachedProgramEnforcesTheSameRules) {
  berth::test::TempDir tmp;
  json p = allow_with({{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 42}}});
  auto first = compile_seccomp(p, tmp / "cache");
  auto second = compile_seccomp(p, tmp / "cache");
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(first->from_cache());
  ASSERT_TRUE(second->from_cache());
  std::string dir = tmp / "d";
  int st = run_filtered(*second, [&] { return errno_of(mkdir(dir.c_str(), 0755)); });
  EXPECT_EQ(exit_code(st), 42);
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
}
