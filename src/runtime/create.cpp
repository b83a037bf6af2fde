// Parent half of `create` and `run`: validate everything, reserve the state dir, clone the init
// straight into its new namespaces (no re-exec), finish what needs host privileges, and wait
// for the init to report ready (or to send its error home). On any failure nothing is left.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/socket.h>

#include <csignal>
#include <thread>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_join.hpp"
#include "runtime/console.hpp"
#include "runtime/container.hpp"
#include "runtime/cgroup/device_rules.hpp"
#include "runtime/hooks.hpp"
#include "runtime/process/idmap_mount.hpp"
#include "runtime/process/init.hpp"
#include "runtime/pty_proxy.hpp"
#include "runtime/seccomp/seccomp.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {
namespace {

// Undoes a half-made container unless dismissed.
struct CreateGuard {
  StateStore* store = nullptr;
  std::string id;
  std::unique_ptr<CgroupManager> cgroup;
  pid_t pid = 0;
  bool armed = true;
  ~CreateGuard() {
    if (!armed) return;
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (cgroup) (void)cgroup->destroy();
    if (store) (void)store->remove(id);
  }
};

Result<> write_time_offsets(const json& offsets) {
  std::string text;
  for (auto& [clock, v] : offsets.items()) {
    const char* name = clock == "monotonic" ? "monotonic" : clock == "boottime" ? "boottime" : nullptr;
    if (!name) return fail(ErrorKind::Invalid, "linux.timeOffsets: unknown clock \"" + clock + "\"");
    text += std::string(name) + " " + std::to_string(v.value("secs", 0LL)) + " " + std::to_string(v.value("nanosecs", 0LL)) + "\n";
  }
  if (text.empty()) return {};
  return write_file("/proc/self/timens_offsets", text);
}

// Namespaces that affect only children (pid, time) are entered by the parent just around clone.
// So are the network, IPC and UTS namespaces given by path when the child gets a new user
// namespace: they belong to the host's user namespace, which the child, once in its own, has
// no capabilities in to join them (runc joins them before it unshares the user namespace).
struct ChildNsScope {
  UniqueFd saved_pid, saved_time;
  std::vector<std::pair<int, UniqueFd>> saved;  // CLONE_NEW* -> the parent's own
  int joined = 0;
  Result<> enter(const Spec& spec) {
    const Namespace* user = spec.linux.find(NsType::User);
    if (user && user->path.empty())
      for (NsType t : {NsType::Network, NsType::Ipc, NsType::Uts}) {
        const Namespace* ns = spec.linux.find(t);
        if (!ns || ns->path.empty()) continue;
        int flag = ns_clone_flag(t);
        UniqueFd own(open((std::string("/proc/thread-self/ns/") + ns_proc_name(t)).c_str(), O_RDONLY | O_CLOEXEC));
        UniqueFd fd(open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!own || !fd) return fail_sys("open " + std::string(ns_name(t)) + " namespace " + ns->path);
        if (setns(fd.get(), flag) != 0) return fail_sys("join " + std::string(ns_name(t)) + " namespace " + ns->path);
        saved.emplace_back(flag, std::move(own));
        joined |= flag;
      }
    if (auto* ns = spec.linux.find(NsType::Pid); ns && !ns->path.empty()) {
      saved_pid = UniqueFd(open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
      UniqueFd fd(open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return fail_sys("open pid namespace " + ns->path);
      if (setns(fd.get(), CLONE_NEWPID) != 0) return fail_sys("join pid namespace " + ns->path);
    }
    if (auto* ns = spec.linux.find(NsType::Time)) {
      saved_time = UniqueFd(open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
      if (!ns->path.empty()) {
        UniqueFd fd(open(ns->path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return fail_sys("open time namespace " + ns->path);
        if (setns(fd.get(), CLONE_NEWTIME) != 0) return fail_sys("join time namespace " + ns->path);
      } else {
        if (unshare(CLONE_NEWTIME) != 0) return fail_sys("unshare time namespace");
        if (!spec.linux.time_offsets.is_null()) BERTH_CHECK(write_time_offsets(spec.linux.time_offsets), "set time offsets");
      }
    }
    return {};
  }
  void leave() {
    for (auto& [flag, fd] : saved) setns(fd.get(), flag);
    if (saved_pid) setns(saved_pid.get(), CLONE_NEWPID);
    if (saved_time) setns(saved_time.get(), CLONE_NEWTIME);
  }
};

Result<Created> launch(const GlobalOptions& g, const CreateOptions& o, StateStore& store, CreateGuard& guard) {
  BERTH_CHECK(validate_id(o.id), "");
  std::string bundle = o.bundle.empty() ? "." : o.bundle;
  char real[PATH_MAX];
  if (!realpath(bundle.c_str(), real)) return fail_sys("bundle " + bundle);
  bundle = real;
  auto spec = BERTH_TRY(load_spec(bundle), "");
  // The OCI spec: process is optional until start. Such a container is created and waits;
  // start refuses it. The placeholder only feeds the plan.
  static const Process kNoProcess{};
  const bool has_process = spec.process.has_value();
  const Process& process = has_process ? *spec.process : kNoProcess;
  if (!is_dir(spec.root_path)) return fail(ErrorKind::NotFound, "config.json: root.path: " + spec.root_path + " does not exist");
  // As runc: a root that is itself a symlink (to "/", say) is refused, not followed.
  struct stat root_st;
  if (lstat(spec.root_path.c_str(), &root_st) == 0 && S_ISLNK(root_st.st_mode))
    return fail(ErrorKind::Invalid, "config.json: root.path: " + spec.root_path + " is a symlink");
  // The canonical path: mounts are checked against it (path_in_root.hpp).
  char canon[PATH_MAX];
  if (!realpath(spec.root_path.c_str(), canon)) return fail_sys("config.json: root.path: " + spec.root_path);
  spec.root_path = canon;
  bool relay = process.terminal && o.console_socket.empty() && o.console_to_caller;
  if (process.terminal && o.console_socket.empty() && !relay)
    return fail(ErrorKind::Invalid, "cannot allocate tty if runtime is not given --console-socket");
  if (!process.terminal && !o.console_socket.empty())
    return fail(ErrorKind::Invalid, "--console-socket is given but process.terminal is false");
  BERTH_CHECK(validate_resources(spec.linux.resources), "config.json");
  auto plan = BERTH_TRY(plan_process(process, has_process ? spec.linux.seccomp : nlohmann::json(), spec.linux, g.seccomp_cache_dir), "config.json");
  for (auto& w : plan.warnings) g.warn(w);

  if (auto r = store.reserve(o.id); !r) return fail(r.error());
  guard.store = &store;
  guard.id = o.id;

  std::string fifo = store.fifo(o.id);
  if (mkfifo(fifo.c_str(), 0622) != 0) return fail_sys("create exec fifo");
  // Writable by the container's user whatever our umask (the init opens it after setuid).
  if (chmod(fifo.c_str(), 0622) != 0) return fail_sys("chmod exec fifo");
  UniqueFd fifo_fd(open(fifo.c_str(), O_PATH | O_CLOEXEC));
  if (!fifo_fd) return fail_sys("open exec fifo");

  UniqueFd console, relay_end;
  if (!o.console_socket.empty()) console = BERTH_TRY(connect_unix(o.console_socket), "connect --console-socket");
  if (relay) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_sys("socketpair");
    relay_end = UniqueFd(sv[0]);
    console = UniqueFd(sv[1]);
  }

  guard.cgroup = BERTH_TRY(make_cgroup_manager(spec.linux.cgroups_path, o.id, g.systemd_cgroup), "cgroup");
  CgroupManager* cg = guard.cgroup.get();
  cg->set_warning_sink(g.on_warning);
  if (auto r = cg->create(with_default_device_rules(spec.linux.resources, spec.linux.devices)); !r) {
    guard.cgroup.reset();  // create() removes what it made on failure
    return fail(r.error().wrap("create cgroup"));
  }
  // If this process dies from here on (kill -9), `delete --force` finds the cgroup to remove.
  // No fsync: a machine crash takes the cgroup with it; this only has to outlive us.
  BERTH_CHECK(create_file(store.dir(o.id) + "/creating.json", cg->save().dump(), 0600), "save state");

  auto idmapped = BERTH_TRY(prepare_idmapped_mounts(spec, bundle), "config.json");
  auto join = BERTH_TRY(plan_cgroup_join(cg->save()), "");
  auto sp = BERTH_TRY(sync_pair(), "");

  InitContext ctx;
  ctx.rootfs.cgroup_dirs = all_dirs(join);
  ctx.cgroup_join = &join;
  ctx.rootfs.idmapped = &idmapped;
  ctx.unified_host = cg->layout() == CgroupLayout::V2;
  ctx.spec = &spec;
  ctx.plan = &plan;
  ctx.rootfs.bundle = bundle;
  ctx.sync_fd = sp.child.get();
  ctx.fifo_fd = fifo_fd.get();
  ctx.console_fd = console.get();
  ctx.preserve_fds = o.preserve_fds;
  ctx.no_pivot = o.no_pivot;
  ctx.die_with_parent = o.die_with_parent;
  ctx.no_new_keyring = o.no_new_keyring;
  ctx.id = o.id;

  int flags = 0;
  const Namespace* user = spec.linux.find(NsType::User);
  for (const auto& ns : spec.linux.namespaces) {
    if (!ns.path.empty()) continue;
    switch (ns.type) {
      case NsType::Cgroup: ctx.new_cgroupns = true; break;  // after the cgroup move, in the child
      case NsType::Time: break;                             // entered by the parent around clone
      default: flags |= ns_clone_flag(ns.type);
    }
  }
  ctx.rootfs.new_userns = user && user->path.empty();
  ctx.rootfs.new_cgroupns = ctx.new_cgroupns;
  ctx.rootfs.new_netns = (flags & CLONE_NEWNET) != 0;
  if (user && !user->path.empty()) {
    // New namespaces must belong to the joined user namespace: create them after joining it.
    ctx.unshare_flags = flags & ~CLONE_NEWPID;
    flags &= CLONE_NEWPID;
  }

  // Without a new user namespace the child can join its cgroups itself, cheaply (cgroup_join.hpp).
  ctx.self_join_cgroup = !user;

  ChildNsScope scope;
  if (auto r = scope.enter(spec); !r) {
    scope.leave();
    return fail(r.error());
  }
  ctx.parent_joined = scope.joined;
  // clone3 without CLONE_VM: a fork straight into the new namespaces (and the v2 cgroup).
  pid_t pid = clone_into(static_cast<unsigned long>(flags), ctx.self_join_cgroup ? &join : nullptr);
  if (pid == 0) {
    sp.parent.reset();
    container_init(ctx);
  }
  int clone_errno = errno;
  scope.leave();
  if (pid < 0) return fail(sys_error("clone", clone_errno));
  guard.pid = pid;
  sp.child.reset();
  fifo_fd.reset();
  console.reset();

  if (ctx.rootfs.new_userns) BERTH_CHECK(write_id_maps(pid, spec.linux.uid_mappings, spec.linux.gid_mappings), "");
  std::vector<std::string> warnings;
  BERTH_CHECK(apply_rlimits(pid, process.rlimits, &warnings), "");
  for (auto& w : warnings) g.warn(w);
  BERTH_CHECK(apply_oom_score(pid, process.oom_score_adj), "set oom_score_adj");

  ContainerState st;
  st.id = o.id;
  st.pid = pid;
  st.start_time = process_start_time(pid).value_or(0);
  st.bundle = bundle;
  st.rootfs = spec.root_path;
  st.created = rfc3339_now();
  st.owner = "root";
  st.annotations = spec.annotations;
  st.cgroup = cg->save();
  for (auto& w : plan.warnings) st.dropped_caps.push_back(w);
  st.config = spec.document;
  std::string state_json = oci_state(st, Status::Creating).dump();
  BERTH_CHECK(sync_send(sp.parent.get(), SyncType::Go, state_json), "");
  if (!ctx.self_join_cgroup) {
    // Moving a task by pid waits for an RCU grace period (~15 ms): let it overlap the child's
    // namespace and rootfs work. The child waits for CgroupJoined before it needs it.
    BERTH_CHECK(cg->add_process(pid), "join cgroup");
    (void)sync_send(sp.parent.get(), SyncType::CgroupJoined);  // a dead child reports below
  }

  for (;;) {
    auto m = sync_recv(sp.parent.get());
    if (!m) {
      if (m.error().kind == ErrorKind::Unavailable) return fail(ErrorKind::Internal, "container init exited before it was ready");
      return fail(m.error());
    }
    if (m->type == SyncType::Error) return fail(sync_error(*m));
    if (m->type == SyncType::Hooks) {
      BERTH_CHECK(run_hooks(spec.hooks.prestart, "prestart", state_json), "");
      BERTH_CHECK(run_hooks(spec.hooks.create_runtime, "createRuntime", state_json), "");
      BERTH_CHECK(sync_send(sp.parent.get(), SyncType::Go), "");
      continue;
    }
    if (m->type == SyncType::SeccompFd) {
      UniqueFd nfd(m->fd);
      BERTH_CHECK(send_seccomp_notify_fd(plan.seccomp->listener_path(), nfd.get(), oci_state(st, Status::Creating),
                                         plan.seccomp->listener_metadata()),
                  "send seccomp notify fd to " + plan.seccomp->listener_path());
      continue;
    }
    if (m->type == SyncType::Ready) break;
  }
  BERTH_CHECK(store.save(st), "save state");
  if (!o.pid_file.empty()) BERTH_CHECK(write_file_atomic(o.pid_file, std::to_string(pid)), "write pid file");
  Created out;
  out.pid = pid;
  out.pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!out.pidfd) return fail_sys("pidfd_open");
  // The init sent the master before Ready: it is waiting in the socket.
  if (relay_end) out.console = BERTH_TRY(recv_fd(relay_end.get()), "receive the console");
  guard.armed = false;
  return out;
}

}  // namespace

Result<Created> create_container(const GlobalOptions& g, const CreateOptions& o) {
  StateStore store(g.root);
  CreateGuard guard;
  return launch(g, o, store, guard);
}

Result<int> run_container(const GlobalOptions& g, const CreateOptions& opts, bool detach) {
  StateStore store(g.root);
  CreateGuard guard;
  CreateOptions o = opts;
  o.console_to_caller = !detach;  // a terminal without --console-socket: the pty master comes to us
  // Signals arriving before the init exists would kill us and orphan a half-made container.
  sigset_t all, old;
  sigfillset(&all);
  if (!detach) sigprocmask(SIG_BLOCK, &all, &old);
  auto launched = launch(g, o, store, guard);
  if (!launched) {
    if (!detach) sigprocmask(SIG_SETMASK, &old, nullptr);
    return fail(launched.error());
  }
  if (auto r = start_container(g, o.id); !r) {
    (void)delete_container(g, o.id, true);
    return fail(r.error());
  }
  if (detach) return 0;
  std::thread proxy;
  if (launched->console) proxy = std::thread([master = std::move(launched->console)] { proxy_pty(master.get()); });
  int status = wait_forwarding_signals(launched->pid);
  if (proxy.joinable()) proxy.join();
  sigprocmask(SIG_SETMASK, &old, nullptr);
  (void)delete_container(g, o.id, true);
  return status;
}

}  // namespace berth::runtime
