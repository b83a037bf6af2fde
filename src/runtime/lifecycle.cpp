// start, state, list, kill, delete, ps, pause, resume: operations on an existing container.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/container.hpp"
#include "runtime/hooks.hpp"
#include "runtime/spec/spec.hpp"
#include "runtime/state.hpp"

namespace berth::runtime {
namespace {

UniqueFd pidfd_open(pid_t pid) { return UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))); }

// Waits (bounded) until pid has exited; pidfds make this an event, not a poll loop.
bool wait_exit(pid_t pid, int timeout_ms) {
  UniqueFd pfd = pidfd_open(pid);
  if (!pfd) return errno == ESRCH;
  pollfd p{pfd.get(), POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

std::unique_ptr<CgroupManager> cgroup_of(const ContainerState& st) {
  if (st.cgroup.is_null()) return nullptr;
  auto m = load_cgroup_manager(st.cgroup);
  return m ? std::move(*m) : nullptr;
}

// Every poststop hook runs even when one fails (OCI): the failures are warnings.
std::vector<Error> run_poststop(const ContainerState& st) {
  if (!st.config.contains("hooks")) return {};
  auto hooks = parse_hooks(st.config["hooks"]);
  if (!hooks) return {hooks.error()};
  return run_hooks_all(hooks->poststop, "poststop", oci_state(st, Status::Stopped).dump());
}

// SIGKILLs whatever is left in the cgroup until it is empty (bounded), then removes it, every
// hierarchy or an error: a half-removed cgroup keeps its container's state for another try.
Result<> empty_and_remove(CgroupManager& cg) {
  for (int i = 0; i < 500; ++i) {
    auto pids = cg.pids();
    if (!pids || pids->empty()) break;
    for (pid_t p : *pids) kill(p, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cg.destroy();
}

// The cgroup of a container that must be in `want` state (pause, resume).
Result<std::unique_ptr<CgroupManager>> cgroup_in_state(const GlobalOptions& g, const std::string& id, Status want,
                                                       const char* otherwise) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "");
  if (container_status(store, st) != want) return fail(ErrorKind::Conflict, otherwise);
  auto cg = cgroup_of(st);
  if (!cg) return fail(ErrorKind::Internal, "container has no cgroup");
  return cg;
}

// Kills everything in the container and removes what it owns.
Result<> destroy(const GlobalOptions& g, StateStore& store, const ContainerState& st, Status status) {
  auto cg = cgroup_of(st);
  if (status != Status::Stopped) {
    kill(st.pid, SIGKILL);
    if (cg) {
      if (auto pids = cg->pids())
        for (pid_t p : *pids) kill(p, SIGKILL);
      if (status == Status::Paused) (void)cg->thaw();
    }
    if (!wait_exit(st.pid, 10000)) return fail(ErrorKind::Internal, "container init did not exit after SIGKILL");
  }
  // Processes outside the init's pid namespace may outlive it; kill and wait for them too.
  if (cg) BERTH_CHECK(empty_and_remove(*cg), "remove cgroup");
  for (auto& e : run_poststop(st)) g.warn(e.what());
  return store.remove(st.id);
}

}  // namespace

Result<> start_container(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "");
  Status status = container_status(store, st);
  if (status != Status::Created) {
    if (status == Status::Stopped) return fail(ErrorKind::Conflict, "cannot start a container that has stopped");
    return fail(ErrorKind::Conflict, "cannot start an already running container");
  }
  if (!st.config.contains("process"))
    return fail(ErrorKind::Invalid, "cannot start container " + id + ": its config.json has no \"process\"");
  // The pidfd first: once the fifo is open the init may exec and exit at once (think /bin/true).
  UniqueFd pfd = pidfd_open(st.pid);
  if (!pfd) return fail(ErrorKind::Conflict, "cannot start a container that has stopped");
  UniqueFd fifo(open(store.fifo(id).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return fail_sys("open exec fifo");
  pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {pfd.get(), POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("wait for container init");
    char c;
    // The byte counts even when the init has already gone on and exited.
    if ((fds[0].revents & POLLIN) && read(fifo.get(), &c, 1) == 1) break;
    if (fds[1].revents & POLLIN) {
      if (read(fifo.get(), &c, 1) == 1) break;
      return fail(ErrorKind::Internal, "container init exited before start");
    }
    if (fds[0].revents & POLLHUP) return fail(ErrorKind::Internal, "container init closed the exec fifo");
  }
  unlink(store.fifo(id).c_str());
  // The init holds the fifo open until its exec (close-on-exec): EOF means the process runs.
  for (;;) {
    fds[0].revents = fds[1].revents = 0;
    int n = poll(fds, 2, 10000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (fds[0].revents & POLLHUP) || (fds[1].revents & POLLIN)) break;
    char c;
    if ((fds[0].revents & POLLIN) && read(fifo.get(), &c, 1) == 0) break;
  }
  if (st.config.contains("hooks")) {
    if (auto hooks = parse_hooks(st.config["hooks"]); hooks && !hooks->poststart.empty())
      for (auto& e : run_hooks_all(hooks->poststart, "poststart", oci_state(st, Status::Running).dump()))
        g.warn(e.what());
  }
  return {};
}

Result<ContainerInfo> container_state(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "");
  Status status = container_status(store, st);
  return ContainerInfo{std::move(st), status};
}

Result<std::vector<ContainerInfo>> list_containers(const GlobalOptions& g) {
  StateStore store(g.root);
  std::vector<ContainerInfo> out;
  for (const auto& id : store.list())
    if (auto st = store.load(id)) {
      Status status = container_status(store, *st);
      out.push_back({std::move(*st), status});
    }
  return out;
}

Result<> kill_container(const GlobalOptions& g, const std::string& id, int sig, bool all) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "");
  Status status = container_status(store, st);
  if (status == Status::Stopped) return fail(ErrorKind::Conflict, "container not running");
  if (all) {
    if (auto cg = cgroup_of(st)) {
      auto pids = BERTH_TRY(cg->pids(), "list container processes");
      for (pid_t p : pids) kill(p, sig);
      if (status == Status::Paused && (sig == SIGKILL || sig == SIGTERM)) (void)cg->thaw();
      return {};
    }
  }
  if (kill(st.pid, sig) != 0) return fail_sys("kill container init");
  return {};
}

Result<> delete_container(const GlobalOptions& g, const std::string& id, bool force) {
  StateStore store(g.root);
  BERTH_CHECK(validate_id(id), "");
  // Deleters of one container (a foreground run that ends, a delete --force) take turns; the
  // second finds the state gone and has nothing left to do.
  UniqueFd lock(open(store.dir(id).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (lock) flock(lock.get(), LOCK_EX);
  auto st = store.load(id);
  if (!st) {
    if (st.error().kind == ErrorKind::NotFound && force) {
      // A state dir without state.json is a create that died midway: its init died with it
      // (parent-death signal); remove its cgroup and the dir.
      if (auto saved = read_file(store.dir(id) + "/creating.json")) {
        auto j = nlohmann::json::parse(*saved, nullptr, false);
        if (auto cg = load_cgroup_manager(j)) BERTH_CHECK(empty_and_remove(**cg), "remove cgroup");
      }
      // As runc: --force of a container that is gone succeeds (shims call delete after exit).
      if (is_dir(store.dir(id))) return store.remove(id);
      return {};
    }
    return fail(st.error());
  }
  Status status = container_status(store, *st);
  // The OCI spec: deleting a container that is not stopped is an error (runc kills a created
  // one instead); --force kills first.
  if (status != Status::Stopped && !force)
    return fail(ErrorKind::Conflict,
                "cannot delete container " + id + " that is not stopped: " + status_name(status));
  return destroy(g, store, *st, status);
}

Result<std::vector<pid_t>> container_pids(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "");
  auto cg = cgroup_of(st);
  if (!cg) return std::vector<pid_t>{st.pid};
  return cg->pids();
}

Result<> pause_container(const GlobalOptions& g, const std::string& id) {
  auto cg = BERTH_TRY(cgroup_in_state(g, id, Status::Running, "container not running"), "");
  return cg->freeze();
}

Result<> resume_container(const GlobalOptions& g, const std::string& id) {
  auto cg = BERTH_TRY(cgroup_in_state(g, id, Status::Paused, "container not paused"), "");
  return cg->thaw();
}

int wait_forwarding_signals(pid_t pid) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  UniqueFd sfd(signalfd(-1, &all, SFD_CLOEXEC));
  UniqueFd pfd = pidfd_open(pid);
  pollfd fds[2] = {{pfd.get(), POLLIN, 0}, {sfd.get(), POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (fds[0].revents & POLLIN) break;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(sfd.get(), &si, sizeof si) == sizeof si && si.ssi_signo != SIGCHLD)
        kill(pid, static_cast<int>(si.ssi_signo));
    }
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255;
}

}  // namespace berth::runtime
