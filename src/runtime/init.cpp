// The container's init, from clone to exec. Each step is one line; the order matters:
//  - the parent has placed us in the cgroup, written the id maps, rlimits and oom score
//    before sending Go (they need privileges we lose);
//  - joined namespaces before new ones; the cgroup namespace only after the cgroup move;
//  - createRuntime hooks (parent) and createContainer hooks (here) before pivot_root;
//  - seccomp last before exec when no_new_privs is set, before dropping capabilities otherwise.
#include "runtime/init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>

#include <csignal>

#include "common/fd.hpp"
#include "runtime/console.hpp"
#include "runtime/hooks.hpp"
#include "runtime/sync.hpp"

namespace berth::runtime {
namespace {

Result<> join_namespaces(const Spec& spec) {
  // The user namespace first: it grants the capabilities to join the others; mount last.
  const NsType order[] = {NsType::User, NsType::Ipc, NsType::Uts, NsType::Network, NsType::Pid,
                          NsType::Cgroup, NsType::Time, NsType::Mount};
  for (NsType t : order) {
    const Namespace* ns = spec.linux.find(t);
    if (!ns || ns->path.empty() || t == NsType::Pid || t == NsType::Time) continue;  // pid/time: joined by the parent
    UniqueFd fd(open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_sys("open " + std::string(ns_name(t)) + " namespace " + ns->path);
    if (setns(fd.get(), ns_clone_flag(t)) != 0) return fail_sys("join " + std::string(ns_name(t)) + " namespace " + ns->path);
  }
  return {};
}

Result<> set_hostname(const Spec& spec) {
  if (!spec.hostname.empty() && sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    return fail_sys("sethostname " + spec.hostname);
  if (!spec.domainname.empty() && setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
    return fail_sys("setdomainname " + spec.domainname);
  return {};
}

Result<> setup_console(const InitContext& ctx, const Process& p) {
  unsigned rows = p.console_size ? p.console_size->height : 0, cols = p.console_size ? p.console_size->width : 0;
  auto pty = BERTH_TRY(open_pty(rows, cols), "set up console");
  BERTH_CHECK(send_fd(ctx.console_fd, pty.master.get(), "/dev/ptmx"), "send console to --console-socket");
  BERTH_CHECK(make_controlling_tty(pty.slave.get()), "set up console");
  return {};
}

// Blocks until `start` opens the fifo. The write end stays open (close-on-exec) so that `start`
// sees EOF exactly when we exec, and runs poststart hooks after the process is running.
Result<UniqueFd> wait_for_start(int fifo_fd) {
  std::string path = "/proc/self/fd/" + std::to_string(fifo_fd);
  UniqueFd w(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!w) return fail_sys("open exec fifo");
  if (write(w.get(), "0", 1) != 1) return fail_sys("write exec fifo");
  return w;
}

Result<> init_steps(const InitContext& ctx, std::string& exe) {
  const Spec& spec = *ctx.spec;
  const Process& proc = *spec.process;
  // Before any namespace is joined: the host's cgroup files are still ours to write.
  if (ctx.self_join_cgroup) BERTH_CHECK(join_v1_self(*ctx.cgroup_join), "");
  auto go = BERTH_TRY(sync_expect(ctx.sync_fd, SyncType::Go), "wait for parent");
  const std::string& state_json = go.payload;
  BERTH_CHECK(join_namespaces(spec), "");
  if (ctx.unshare_flags && unshare(ctx.unshare_flags) != 0) return fail_sys("unshare namespaces");
  if (ctx.rootfs.new_userns && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0))
    return fail_sys("become root in the user namespace");
  // CgroupJoined may arrive while we wait for something else: note it and keep waiting.
  bool cgroup_moved = ctx.self_join_cgroup, cgroupns_done = false;
  auto wait_for = [&](SyncType want, const char* what) -> Result<> {
    for (;;) {
      auto m = sync_expect_any(ctx.sync_fd);
      if (!m) return fail(m.error().wrap(what));
      if (m->type == SyncType::CgroupJoined) {
        cgroup_moved = true;
        if (want == SyncType::CgroupJoined) return {};
        continue;
      }
      if (m->type == want) return {};
      return fail(ErrorKind::Internal, std::string(what) + ": unexpected message");
    }
  };
  auto after_cgroup_move = [&]() -> Result<> {
    if (cgroupns_done) return {};
    cgroupns_done = true;
    if (!cgroup_moved) BERTH_CHECK(wait_for(SyncType::CgroupJoined, "wait for the cgroup move"), "");
    if (ctx.new_cgroupns && unshare(CLONE_NEWCGROUP) != 0) return fail_sys("unshare cgroup namespace");
    return {};
  };
  if (ctx.new_cgroupns && ctx.unified_host) BERTH_CHECK(after_cgroup_move(), "");
  if (setsid() < 0) return fail_sys("setsid");
  if (spec.linux.find(NsType::Uts)) BERTH_CHECK(set_hostname(spec), "");
  if (!ctx.no_new_keyring) {
    std::string name = "_ses." + ctx.id;
    // Best effort: keyrings may be unavailable in this user namespace.
    (void)syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str());
  }
  bool has_mntns = spec.linux.find(NsType::Mount) != nullptr;
  if (has_mntns) BERTH_CHECK(rootfs_prepare(spec, ctx.rootfs), "prepare rootfs");
  if (!spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty()) {
    BERTH_CHECK(sync_send(ctx.sync_fd, SyncType::Hooks), "");
    BERTH_CHECK(wait_for(SyncType::Go, "wait for createRuntime hooks"), "");
  }
  BERTH_CHECK(run_hooks(spec.hooks.create_container, "createContainer", state_json), "");
  if (has_mntns) {
    BERTH_CHECK(rootfs_pivot(spec.root_path, ctx.no_pivot), "");
  } else {
    if (chroot(spec.root_path.c_str()) != 0) return fail_sys("chroot " + spec.root_path);
  }
  if (chdir("/") != 0) return fail_sys("chdir /");
  if (has_mntns) BERTH_CHECK(apply_root_propagation(spec), "");
  BERTH_CHECK(apply_sysctls(spec), "");
  if (has_mntns) BERTH_CHECK(rootfs_finish(spec), "");
  BERTH_CHECK(after_cgroup_move(), "");
  if (proc.terminal) BERTH_CHECK(setup_console(ctx, proc), "");
  if (chdir(proc.cwd.c_str()) != 0) return fail_sys("chdir to cwd (\"" + proc.cwd + "\") set in config.json");
  exe = BERTH_TRY(resolve_executable(proc), "");
  auto* seccomp = ctx.plan->seccomp ? &*ctx.plan->seccomp : nullptr;
  if (seccomp && seccomp->uses_notify()) {
    // The listener needs the fd before the container runs: load now and hand it to the parent.
    int nfd = BERTH_TRY(seccomp->load(), "load seccomp filter");
    BERTH_CHECK(sync_send(ctx.sync_fd, SyncType::SeccompFd, {}, 0, nfd), "");
    close(nfd);
  }
  BERTH_CHECK(become_user(*ctx.plan, ctx.rootfs.new_userns), "");
  // Changing uid clears "dumpable", which makes /proc/self/fd root-owned and the exec fifo
  // unreachable for a non-root user. exec resets it from the new program's credentials.
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  // Only our own fds, stdio and --preserve-fds cross exec.
  syscall(SYS_close_range, 3 + ctx.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  return {};
}

}  // namespace

void container_init(const InitContext& ctx) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // `run` blocks signals while it forwards them
  std::string exe;
  if (auto r = init_steps(ctx, exe); !r) sync_fail(ctx.sync_fd, r.error());
  // create may exit once we are ready: we must survive it.
  prctl(PR_SET_PDEATHSIG, 0);
  if (auto r = sync_send(ctx.sync_fd, SyncType::Ready); !r) _exit(1);
  close(ctx.sync_fd);
  auto started = wait_for_start(ctx.fifo_fd);
  if (!started) {
    dprintf(2, "berth-runtime: %s\n", started.error().what().c_str());
    _exit(1);
  }
  int held = started->release();  // closed by exec
  (void)held;
  close(ctx.fifo_fd);
  const Spec& spec = *ctx.spec;
  if (!spec.hooks.start_container.empty()) {
    std::string state = "{\"ociVersion\":\"1.2.0\",\"id\":\"" + ctx.id + "\",\"status\":\"created\",\"pid\":" +
                        std::to_string(getpid()) + "}";
    if (auto r = run_hooks(spec.hooks.start_container, "startContainer", state); !r) {
      dprintf(2, "berth-runtime: %s\n", r.error().what().c_str());
      _exit(1);
    }
  }
  auto* seccomp = ctx.plan->seccomp ? &*ctx.plan->seccomp : nullptr;
  if (seccomp && spec.process->no_new_privileges && !seccomp->uses_notify()) {
    if (auto r = seccomp->load(); !r) {
      dprintf(2, "berth-runtime: load seccomp filter: %s\n", r.error().what().c_str());
      _exit(1);
    }
  }
  exec_process(exe, *spec.process);
}

}  // namespace berth::runtime
