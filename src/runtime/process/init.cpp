// The container's init, from clone to exec. Each step is one line; the order matters:
//  - the parent has placed us in the cgroup, written the id maps, rlimits and oom score
//    before sending Go (they need privileges we lose);
//  - joined namespaces before new ones; the cgroup namespace only after the cgroup move;
//  - createRuntime hooks (parent) and createContainer hooks (here) before pivot_root;
//  - seccomp last before exec when no_new_privs is set, before dropping capabilities otherwise.
#include "runtime/process/init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>

#include <csignal>
#include <thread>

#include "common/fd.hpp"
#include "runtime/process/enter.hpp"
#include "runtime/hooks.hpp"
#include "runtime/sync.hpp"

namespace berth::runtime {
namespace {

Result<> join_namespaces(const Spec& spec, int parent_joined) {
  // The user namespace first: it grants the capabilities to join the others; mount last.
  const NsType order[] = {NsType::User, NsType::Ipc, NsType::Uts, NsType::Network, NsType::Pid,
                          NsType::Cgroup, NsType::Time, NsType::Mount};
  for (NsType t : order) {
    const Namespace* ns = spec.linux.find(t);
    if (!ns || ns->path.empty() || t == NsType::Pid || t == NsType::Time) continue;  // pid/time: joined by the parent
    if (parent_joined & ns_clone_flag(t)) continue;  // born in it (see ChildNsScope)
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


// Blocks until `start` opens the fifo for reading: the fifo is reopened for writing from our
// O_PATH fd through /proc/self/fd. The write end stays open (close-on-exec) so that `start`
// sees EOF exactly when we exec, and runs poststart hooks after the process is running.
// Without a mount namespace the chroot has no /proc: the fd directory is then opened before
// chroot, and a thread blocks in an open relative to it, which chroot does not change.
class StartWaiter {
 public:
  Result<> begin_before_chroot(int fifo_fd) {
    dir_ = UniqueFd(open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_) return fail_sys("open /proc/self/fd");
    thread_ = std::thread([this, name = std::to_string(fifo_fd)] {
      fd_ = openat(dir_.get(), name.c_str(), O_WRONLY | O_CLOEXEC);
      err_ = errno;
    });
    return {};
  }
  int dir_fd() const { return dir_.get(); }
  Result<UniqueFd> wait(int fifo_fd) {
    UniqueFd w;
    if (thread_.joinable()) {
      thread_.join();
      dir_.reset();
      if (fd_ < 0) return fail(sys_error("open exec fifo", err_));
      w = UniqueFd(fd_);
    } else {
      w = UniqueFd(open(("/proc/self/fd/" + std::to_string(fifo_fd)).c_str(), O_WRONLY | O_CLOEXEC));
      if (!w) return fail_sys("open exec fifo");
    }
    if (write(w.get(), "0", 1) != 1) return fail_sys("write exec fifo");
    return w;
  }

 private:
  UniqueFd dir_;
  std::thread thread_;
  int fd_ = -1, err_ = 0;
};

Result<> init_steps(const InitContext& ctx, std::string& exe, StartWaiter& waiter) {
  const Spec& spec = *ctx.spec;
  // Before any namespace is joined: the host's cgroup files are still ours to write.
  if (ctx.self_join_cgroup) BERTH_CHECK(join_v1_self(*ctx.cgroup_join), "");
  auto go = BERTH_TRY(sync_expect(ctx.sync_fd, SyncType::Go), "wait for parent");
  const std::string& state_json = go.payload;
  BERTH_CHECK(join_namespaces(spec, ctx.parent_joined), "");
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
    BERTH_CHECK(waiter.begin_before_chroot(ctx.fifo_fd), "");
    if (chroot(spec.root_path.c_str()) != 0) return fail_sys("chroot " + spec.root_path);
  }
  if (chdir("/") != 0) return fail_sys("chdir /");
  if (has_mntns) BERTH_CHECK(apply_root_propagation(spec), "");
  BERTH_CHECK(apply_sysctls(spec), "");
  if (has_mntns) BERTH_CHECK(rootfs_finish(spec), "");
  BERTH_CHECK(after_cgroup_move(), "");
  if (!spec.process) return {};  // nothing to become: wait for a delete (start refuses)
  EnterContext enter;
  enter.plan = ctx.plan;
  enter.sync_fd = ctx.sync_fd;
  enter.console_fd = ctx.console_fd;
  enter.preserve_fds = ctx.preserve_fds;
  enter.keep = {ctx.fifo_fd, waiter.dir_fd()};
  enter.in_new_userns = ctx.rootfs.new_userns;
  exe = BERTH_TRY(enter_process(enter), "");
  return {};
}

}  // namespace

void container_init(const InitContext& ctx) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // `run` blocks signals while it forwards them
  std::string exe;
  StartWaiter waiter;
  if (auto r = init_steps(ctx, exe, waiter); !r) sync_fail(ctx.sync_fd, r.error());
  // create may exit once we are ready: we must survive it, unless our parent holds us for
  // life. Set again here: the change to the container's user cleared it.
  prctl(PR_SET_PDEATHSIG, ctx.die_with_parent ? SIGKILL : 0);
  if (auto r = sync_send(ctx.sync_fd, SyncType::Ready); !r) _exit(1);
  if (!ctx.spec->process) {
    // Hold nothing of the host's while waiting to be deleted.
    syscall(SYS_close_range, 0, ~0U, 0);
    pause();
    _exit(1);
  }
  close(ctx.sync_fd);
  auto started = waiter.wait(ctx.fifo_fd);
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
  exec_container_process(exe, *ctx.plan, -1);
}

}  // namespace berth::runtime
