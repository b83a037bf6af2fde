// The ordering rules, once:
//  1. close every fd that is not the container's before anything resolves a path, so that
//     neither cwd, the executable nor a /proc/self/fd/N lookup can reach a host object;
//  2. the terminal before the user change (opening /dev/ptmx and TIOCSCTTY need privilege);
//  3. cwd is opened inside the root with no magic links, and entered as the user at the end;
//  4. a seccomp listener's fd is handed over while we still may send it;
//  5. become the user: attributes, seccomp before the capabilities go (when no_new_privs is
//     off, loading needs CAP_SYS_ADMIN), ids, capabilities, no_new_privs, umask;
//  6. with no_new_privs, seccomp is loaded last, right before execve (exec_container_process).
#include "runtime/process/enter.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

#include <algorithm>

#include "runtime/console.hpp"
#include "runtime/process/path_in_root.hpp"
#include "runtime/sync.hpp"

namespace berth::runtime {
namespace {

// Closes every fd except stdio, the preserved ones and keep.
void close_host_fds(int preserve_fds, std::vector<int> keep) {
  for (int i = 0; i < 3 + preserve_fds; ++i) keep.push_back(i);
  std::sort(keep.begin(), keep.end());
  unsigned lo = 0;
  for (int k : keep) {
    if (k < 0) continue;
    auto uk = static_cast<unsigned>(k);
    if (uk > lo) syscall(SYS_close_range, lo, uk - 1, 0);
    lo = std::max(lo, uk + 1);
  }
  syscall(SYS_close_range, lo, ~0U, 0);
}

Result<> take_terminal(const EnterContext& ctx, const Process& p) {
  if (ctx.new_session && setsid() < 0) return fail_sys("setsid");
  unsigned rows = p.console_size ? p.console_size->height : 0, cols = p.console_size ? p.console_size->width : 0;
  auto pty = BERTH_TRY(open_pty(rows, cols), "set up console");
  BERTH_CHECK(send_fd(ctx.console_fd, pty.master.get(), "/dev/ptmx"), "send console");
  BERTH_CHECK(make_controlling_tty(pty.slave.get()), "set up console");
  close(ctx.console_fd);
  return {};
}

Result<UniqueFd> open_cwd(const std::string& cwd) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open /");
  auto fd = open_in_root(root.get(), cwd, O_PATH | O_DIRECTORY);
  if (!fd) return fail(sys_error("chdir to cwd (\"" + cwd + "\") set in config.json", fd.error().errnum));
  return fd;
}

Result<> hand_over_listener(const EnterContext& ctx) {
  // The listener needs the fd before the container runs: load now and hand it to the parent.
  int nfd = BERTH_TRY(ctx.plan->seccomp->load(), "load seccomp filter");
  BERTH_CHECK(sync_send(ctx.sync_fd, SyncType::SeccompFd, {}, 0, nfd), "");
  close(nfd);
  return {};
}

}  // namespace

Result<std::string> enter_process(const EnterContext& ctx) {
  const Process& proc = *ctx.plan->process;
  std::vector<int> keep = ctx.keep;
  keep.push_back(ctx.sync_fd);
  if (proc.terminal) keep.push_back(ctx.console_fd);
  close_host_fds(ctx.preserve_fds, keep);
  if (proc.terminal) BERTH_CHECK(take_terminal(ctx, proc), "");
  auto cwd = BERTH_TRY(open_cwd(proc.cwd), "");
  auto exe = BERTH_TRY(resolve_executable(proc), "");
  if (ctx.plan->seccomp && ctx.plan->seccomp->uses_notify()) BERTH_CHECK(hand_over_listener(ctx), "");
  BERTH_CHECK(become_user(*ctx.plan, ctx.in_new_userns), "");
  if (fchdir(cwd.get()) != 0) return fail_sys("chdir to cwd (\"" + proc.cwd + "\") set in config.json");
  return exe;
}

// The parent hears of a failure while it still listens; later only the container's stderr can.
[[noreturn]] static void die(int sync_fd, const Error& e) {
  if (sync_fd >= 0) sync_fail(sync_fd, e);
  dprintf(2, "berth: %s\n", e.what().c_str());
  _exit(127);
}

void exec_container_process(const std::string& exe, ProcessPlan& plan, int sync_fd) {
  const Process& p = *plan.process;
  if (plan.seccomp && p.no_new_privileges && !plan.seccomp->uses_notify())
    if (auto r = plan.seccomp->load(); !r) die(sync_fd, r.error().wrap("load seccomp filter"));
  auto env = exec_env(p);
  std::vector<char*> argv, envp;
  for (auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(exe.c_str(), argv.data(), envp.data());
  die(sync_fd, sys_error("exec " + exe));
}

}  // namespace berth::runtime
