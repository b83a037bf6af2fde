// OCI hooks: fork/exec with exactly the hook's args and env, the state JSON on stdin, stdout and
// stderr captured for the error message, and the timeout enforced by killing the hook's process
// group (a hook's children must not outlive it holding our pipes).
#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/process.hpp"

namespace berth::runtime {
namespace {

using Clock = std::chrono::steady_clock;

struct Outcome {
  int status = 0;  // waitpid status
  bool timed_out = false;
  std::string out, err;
};

// Keeps the tail of what the hook wrote: enough for an error message, bounded in memory.
void append_capped(std::string& s, const char* data, size_t n) {
  constexpr size_t kCap = 64 * 1024;
  s.append(data, n);
  if (s.size() > kCap) s.erase(0, s.size() - kCap);
}

// While a hook's stdin is written, SIGPIPE is blocked in this thread so that a hook which exits
// without reading gives EPIPE instead of killing the runtime; a SIGPIPE we caused is then taken
// back so it is not delivered later. (The hook's child unblocks all signals before exec.)
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      timespec zero{};
      while (sigtimedwait(&set_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_, old_;
  bool was_pending_ = false;
};

// The hook and everything it starts die with us: a guard, a child of ours holding none of our
// fds, kills the hook's process group when we die (its parent-death signal) unless we dismiss
// it first. Only async-signal-safe calls after fork: the caller may have threads.
pid_t spawn_group_guard(pid_t pgid) {
  pid_t me = getpid();
  pid_t g = fork();
  if (g != 0) return g;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGUSR1);
  syscall(SYS_close_range, 3, ~0U, 0);
  int sig = SIGUSR1;
  if (getppid() == me) sigwait(&set, &sig);
  if (sig != SIGTERM) kill(-pgid, SIGKILL);
  _exit(0);
}

void dismiss_guard(pid_t g) {
  if (g <= 0) return;
  kill(g, SIGTERM);
  while (waitpid(g, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Result<Outcome> run_one(const Hook& h, const std::string& state_json) {
  SigpipeBlock no_sigpipe;
  // argv/envp are built before fork: the child only calls async-signal-safe functions.
  std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : h.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char** env = h.has_env ? envp.data() : environ;

  // stdin is a pipe, not a socket: hooks may open /dev/stdin, which a socket does not allow.
  int in[2], out[2], err[2], exec_err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (pipe2(err, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd err_r(err[0]), err_w(err[1]);
  if (pipe2(exec_err, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd exec_r(exec_err[0]), exec_w(exec_err[1]);

  pid_t pid = fork();
  if (pid < 0) return fail_sys("fork");
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(in_r.get(), 0) < 0 || dup2(out_w.get(), 1) < 0 || dup2(err_w.get(), 2) < 0) {
      int e = errno;
      (void)!write(exec_w.get(), &e, sizeof e);
      _exit(127);
    }
    // Nothing of the runtime's (exec fifo, sync sockets, state locks) crosses into the hook.
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(h.path.c_str(), argv.data(), env);
    int e = errno;
    (void)!write(exec_w.get(), &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also here: the guard may act before the child ran setpgid
  pid_t guard = spawn_group_guard(pid);
  struct GuardScope {
    pid_t g;
    ~GuardScope() { dismiss_guard(g); }
  } guard_scope{guard};
  in_r.reset();
  out_w.reset();
  err_w.reset();
  exec_w.reset();
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return fail(sys_error("pidfd_open", e));
  }
  fcntl(in_w.get(), F_SETFL, O_NONBLOCK);

  Outcome o;
  auto deadline = h.timeout ? Clock::now() + std::chrono::seconds(*h.timeout) : Clock::time_point::max();
  size_t written = 0;
  bool exited = false;
  while (!exited) {
    pollfd fds[4] = {{pidfd.get(), POLLIN, 0},
                     {out_r.get(), POLLIN, 0},
                     {err_r.get(), POLLIN, 0},
                     {in_w ? in_w.get() : -1, POLLOUT, 0}};
    int wait_ms = -1;
    if (h.timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        o.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    int n = poll(fds, 4, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return fail(sys_error("poll", e));
    }
    char buf[4096];
    for (int i : {1, 2}) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t k = read(fds[i].fd, buf, sizeof buf);
      if (k > 0) append_capped(i == 1 ? o.out : o.err, buf, static_cast<size_t>(k));
      else if (k == 0 || errno != EINTR) (i == 1 ? out_r : err_r).reset();
    }
    if (fds[3].fd >= 0 && (fds[3].revents & (POLLOUT | POLLHUP | POLLERR))) {
      ssize_t k = write(in_w.get(), state_json.data() + written, state_json.size() - written);
      if (k > 0) written += static_cast<size_t>(k);
      // A hook may exit without reading its stdin; that is its business, not an error.
      if ((k < 0 && errno != EAGAIN && errno != EINTR) || written == state_json.size()) in_w.reset();
    }
    if (fds[0].revents & POLLIN) exited = true;
  }
  if (o.timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);  // in case it had not reached setpgid yet
  }
  // Whatever the hook wrote before exiting is in the pipes; its children may keep them open, so
  // take what is there without waiting for EOF.
  for (UniqueFd* fd : {&out_r, &err_r}) {
    if (!*fd) continue;
    fcntl(fd->get(), F_SETFL, O_NONBLOCK);
    char buf[4096];
    ssize_t k;
    while ((k = read(fd->get(), buf, sizeof buf)) > 0)
      append_capped(fd == &out_r ? o.out : o.err, buf, static_cast<size_t>(k));
  }
  while (waitpid(pid, &o.status, 0) < 0 && errno == EINTR) {
  }
  int exec_errno = 0;
  if (read(exec_r.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno)
    return fail(sys_error("exec", exec_errno));
  return o;
}

}  // namespace

Result<> run_hook(const Hook& h, std::string_view kind, const std::string& state_json) {
  {
    std::string what = std::string(kind) + (kind.empty() ? "" : " ") + "hook " + h.path;
    if (h.path.empty() || h.path[0] != '/') return fail(ErrorKind::Invalid, what + ": path must be absolute");
    if (h.timeout && *h.timeout <= 0) return fail(ErrorKind::Invalid, what + ": timeout must be greater than 0");
    auto o = BERTH_TRY(run_one(h, state_json), what);
    // stderr tells why; a hook that only prints to stdout still gets heard.
    std::string detail = trim(o.err.empty() ? o.out : o.err);
    std::string tail = detail.empty() ? "" : ": " + detail;
    if (o.timed_out)
      return fail(ErrorKind::Internal, what + ": timed out after " + std::to_string(*h.timeout) + "s" + tail);
    if (WIFSIGNALED(o.status))
      return fail(ErrorKind::Internal, what + ": killed by " + signal_name(WTERMSIG(o.status)) + tail);
    if (WIFEXITED(o.status) && WEXITSTATUS(o.status) != 0)
      return fail(ErrorKind::Internal, what + ": exited " + std::to_string(WEXITSTATUS(o.status)) + tail);
  }
  return {};
}

Result<> run_hooks(const std::vector<Hook>& hooks, std::string_view kind, const std::string& state_json) {
  for (const Hook& h : hooks) BERTH_CHECK(run_hook(h, kind, state_json), "");
  return {};
}

std::vector<Error> run_hooks_all(const std::vector<Hook>& hooks, std::string_view kind, const std::string& state_json) {
  std::vector<Error> failed;
  for (const Hook& h : hooks)
    if (auto r = run_hook(h, kind, state_json); !r) failed.push_back(r.error());
  return failed;
}

}  // namespace berth::runtime
