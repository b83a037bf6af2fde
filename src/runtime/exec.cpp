// `exec`: a new process inside a running container's namespaces and cgroup.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/close_range.h>

#include <charconv>
#include <csignal>
#include <optional>
#include <thread>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "common/log.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_join.hpp"
#include "runtime/console.hpp"
#include "runtime/container.hpp"
#include "runtime/process/enter.hpp"
#include "runtime/process/process_setup.hpp"
#include "runtime/pty_proxy.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {
namespace {

struct NsFd {
  NsType type;
  UniqueFd fd;
};

bool same_ns(pid_t pid, const char* name) {
  struct stat a, b;
  std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + name;
  std::string ours = std::string("/proc/self/ns/") + name;
  return stat(theirs.c_str(), &a) == 0 && stat(ours.c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

Result<std::vector<NsFd>> open_namespaces(pid_t pid) {
  std::vector<NsFd> out;
  const NsType order[] = {NsType::User, NsType::Ipc, NsType::Uts, NsType::Network, NsType::Pid,
                          NsType::Time, NsType::Cgroup, NsType::Mount};
  for (NsType t : order) {
    if (same_ns(pid, ns_proc_name(t))) continue;
    std::string p = "/proc/" + std::to_string(pid) + "/ns/" + ns_proc_name(t);
    UniqueFd fd(open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) continue;
      return fail_sys("open " + p);
    }
    out.push_back({t, std::move(fd)});
  }
  return out;
}

Result<Process> build_process(const ExecOptions& o, const ContainerState& st) {
  if (!o.process.is_null()) return parse_process(o.process, "process");
  if (!o.process_file.empty()) {
    auto text = BERTH_TRY(read_file(o.process_file), "read --process");
    auto j = BERTH_TRY(parse_json(text, o.process_file), "");
    return parse_process(j, "process");
  }
  if (o.args.empty()) return fail(ErrorKind::Invalid, "exec: no command given (args or --process)");
  json base = st.config.value("process", json::object());
  base["args"] = o.args;
  base["terminal"] = o.tty;
  base.erase("consoleSize");
  if (!o.cwd.empty()) base["cwd"] = o.cwd;
  if (!o.env.empty()) {
    json env = base.value("env", json::array());
    for (auto& e : o.env) env.push_back(e);
    base["env"] = env;
  }
  if (!o.user.empty()) {
    auto colon = o.user.find(':');
    auto id = [](std::string_view t, uint32_t& v) {
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return ec == std::errc() && end == t.data() + t.size() && !t.empty();
    };
    uint32_t uid = 0, gid = 0;
    std::string_view u(o.user);
    if (!id(u.substr(0, colon), uid) || (colon != std::string::npos && !id(u.substr(colon + 1), gid)))
      return fail(ErrorKind::Invalid, "--user: expected UID[:GID], got \"" + o.user + "\"");
    base["user"]["uid"] = uid;
    if (colon != std::string::npos) base["user"]["gid"] = gid;
  }
  for (auto& g : o.additional_gids) {
    uint32_t gid = 0;
    auto [end, ec] = std::from_chars(g.data(), g.data() + g.size(), gid);
    if (ec != std::errc() || end != g.data() + g.size())
      return fail(ErrorKind::Invalid, "--additional-gids: \"" + g + "\" is not a group id");
    base["user"]["additionalGids"].push_back(gid);
  }
  if (o.no_new_privs) base["noNewPrivileges"] = true;
  for (auto& c : o.caps)
    for (const char* set : {"bounding", "effective", "permitted", "ambient"}) base["capabilities"][set].push_back(c);
  return parse_process(base, "process");
}

}  // namespace

Result<Created> spawn_exec(const GlobalOptions& g, const ExecOptions& o) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(o.id), "");
  Status status = container_status(store, st);
  if (status == Status::Stopped) return fail(ErrorKind::Conflict, "cannot exec in a stopped container");
  if (status == Status::Paused) return fail(ErrorKind::Conflict, "cannot exec in a paused container");
  auto proc = BERTH_TRY(build_process(o, st), "");
  json seccomp = st.config.contains("linux") ? st.config["linux"].value("seccomp", json()) : json();
  Linux lx;  // exec'd processes keep the container's personality; attrs come from the process
  auto plan = BERTH_TRY(plan_process(proc, seccomp, lx, g.seccomp_cache_dir), "");
  for (auto& w : plan.warnings) g.warn(w);
  auto nss = BERTH_TRY(open_namespaces(st.pid), "");
  bool joins_user = false;
  for (auto& n : nss) joins_user |= n.type == NsType::User;

  UniqueFd console;
  if (proc.terminal && !o.console_socket.empty()) console = BERTH_TRY(connect_unix(o.console_socket), "connect --console-socket");
  int proxy_sock[2] = {-1, -1};
  bool proxy = proc.terminal && o.console_socket.empty();
  if (proxy) {
    if (!o.console_to_caller) return fail(ErrorKind::Invalid, "cannot allocate tty if runtime is not given --console-socket with --detach");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, proxy_sock) != 0) return fail_sys("socketpair");
    console = UniqueFd(proxy_sock[1]);
  }
  UniqueFd proxy_recv(proxy_sock[0]);

  auto sp = BERTH_TRY(sync_pair(), "");
  // pid and time namespaces apply to children only: enter them here, around the fork.
  UniqueFd saved_pid(open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
  UniqueFd saved_time(open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
  for (auto& n : nss) {
    if (n.type == NsType::Pid && setns(n.fd.get(), CLONE_NEWPID) != 0) return fail_sys("join pid namespace");
    if (n.type == NsType::Time && setns(n.fd.get(), CLONE_NEWTIME) != 0) return fail_sys("join time namespace");
  }
  // As for create: without a user namespace the child joins the cgroup itself (cgroup_join.hpp).
  std::optional<CgroupJoin> join;
  if (!joins_user && !st.cgroup.is_null()) join = BERTH_TRY(plan_cgroup_join(st.cgroup), "");
  pid_t pid = clone_into(0, join ? &*join : nullptr);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int sync_fd = sp.child.get();
    auto steps = [&]() -> Result<std::string> {
      if (join) BERTH_CHECK(join_v1_self(*join), "");
      BERTH_CHECK(sync_expect(sync_fd, SyncType::Go), "wait for parent");
      // Namespaces the container's user namespace owns are joined after it (it grants the
      // capabilities for them); those the host's owns (a network namespace made by the
      // engine) only before it, while we still have the capabilities there: as runc, each
      // other one is tried first, and the ones refused are tried again after the user namespace.
      auto join = [&](const auto& n) { return setns(n.fd.get(), ns_clone_flag(n.type)) == 0; };
      std::vector<const std::remove_reference_t<decltype(nss.front())>*> again;
      for (auto& n : nss) {
        if (n.type == NsType::Pid || n.type == NsType::Time || n.type == NsType::User) continue;
        if (join(n)) continue;
        if (!joins_user || errno != EPERM) return fail_sys(std::string("join ") + ns_name(n.type) + " namespace");
        again.push_back(&n);
      }
      for (auto& n : nss)
        if (n.type == NsType::User && !join(n)) return fail_sys("join user namespace");
      for (auto* n : again)
        if (!join(*n)) return fail_sys(std::string("join ") + ns_name(n->type) + " namespace");
      if (joins_user && (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)) return fail_sys("become root in the user namespace");
      EnterContext enter;
      enter.plan = &plan;
      enter.sync_fd = sync_fd;
      enter.console_fd = console.get();
      enter.preserve_fds = o.preserve_fds;
      enter.new_session = true;
      enter.in_new_userns = joins_user;
      return enter_process(enter);
    };
    auto exe = steps();
    if (!exe) sync_fail(sync_fd, exe.error());
    exec_container_process(*exe, plan, sync_fd);
  }
  int fork_errno = errno;
  if (saved_pid) setns(saved_pid.get(), CLONE_NEWPID);
  if (saved_time) setns(saved_time.get(), CLONE_NEWTIME);
  if (pid < 0) return fail(sys_error("fork", fork_errno));
  sp.child.reset();
  auto abort_child = [&](Error e) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return fail(std::move(e));
  };
  if (!join && !st.cgroup.is_null()) {
    auto cg = load_cgroup_manager(st.cgroup);
    if (!cg) return abort_child(cg.error());
    if (auto r = (*cg)->add_process(pid); !r) return abort_child(r.error().wrap("join container cgroup"));
  }
  std::vector<std::string> warnings;
  if (auto r = apply_rlimits(pid, proc.rlimits, &warnings); !r) return abort_child(r.error());
  for (auto& w : warnings) g.warn(w);
  if (auto r = sync_send(sp.parent.get(), SyncType::Go); !r) return abort_child(r.error());
  // The child either reports an error or execs, closing its end (close-on-exec): EOF = success.
  for (;;) {
    auto m = sync_recv(sp.parent.get());
    if (!m) break;  // EOF: the child exec'd
    if (m->type == SyncType::Error) {
      waitpid(pid, nullptr, 0);
      return fail(sync_error(*m));
    }
    if (m->type == SyncType::SeccompFd) {
      UniqueFd nfd(m->fd);
      auto state = oci_state(st, Status::Running);
      if (auto r = send_seccomp_notify_fd(plan.seccomp->listener_path(), nfd.get(), state, plan.seccomp->listener_metadata()); !r)
        return abort_child(r.error().wrap("send seccomp notify fd to " + plan.seccomp->listener_path()));
    }
  }
  if (!o.pid_file.empty()) BERTH_CHECK(write_file_atomic(o.pid_file, std::to_string(pid)), "write pid file");
  Created out;
  out.pid = pid;
  out.pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!out.pidfd) return fail_sys("pidfd_open");
  // The child sent the pty master before it exec'd: it is waiting in the socket.
  if (proxy) out.console = BERTH_TRY(recv_fd(proxy_recv.get()), "receive the console");
  return out;
}

Result<int> exec_in_container(const GlobalOptions& g, const ExecOptions& o) {
  ExecOptions opts = o;
  opts.console_to_caller = !o.detach;  // a foreground terminal without --console-socket: we relay it
  auto ex = BERTH_TRY(spawn_exec(g, opts), "");
  if (o.detach) return 0;
  if (ex.console) {
    // Block signals before the copier thread exists, so they all reach the forwarder.
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, nullptr);
    std::thread copier([m = std::move(ex.console)] { proxy_pty(m.get()); });
    int rc = wait_forwarding_signals(ex.pid);
    if (copier.joinable()) copier.join();
    return rc;
  }
  return wait_forwarding_signals(ex.pid);
}

}  // namespace berth::runtime
