#include "engine/shim.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "engine/exit_record.hpp"
#include "engine/json_log.hpp"
#include "engine/log_writer.hpp"
#include "engine/runtime_driver.hpp"
#include "engine/shim_memory.hpp"
#include "runtime/container.hpp"

namespace berth::engine {

std::string container_log_path(const std::string& container_dir, const std::string& id) {
  return path_join(container_dir, id + "-json.log");
}

namespace {

void report(int fd, const std::string& line) {
  if (fd < 0) return;
  std::string s = line + "\n";
  (void)!::write(fd, s.data(), s.size());
}

// The container's stdio: pipes whose container ends become its fds 0-2 at create.
struct Stdio {
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
};

Result<Stdio> make_stdio(bool open_stdin) {
  Stdio s;
  int p[2];
  auto mk = [&](UniqueFd& r, UniqueFd& w) -> Result<> {
    if (pipe2(p, O_CLOEXEC) != 0) return fail_sys("pipe");
    r = UniqueFd(p[0]);
    w = UniqueFd(p[1]);
    return {};
  };
  if (open_stdin) {
    BERTH_CHECK(mk(s.in_r, s.in_w), "stdin");
  } else {
    s.in_r = UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  BERTH_CHECK(mk(s.out_r, s.out_w), "stdout");
  BERTH_CHECK(mk(s.err_r, s.err_w), "stderr");
  return s;
}

// Our fds 0-2 are what the runtime hands the container: point them at its pipes for create.
Result<> install_stdio(const Stdio& s) {
  if (dup2(s.in_r.get(), 0) < 0 || dup2(s.out_w.get(), 1) < 0 || dup2(s.err_w.get(), 2) < 0)
    return fail_sys("dup2 stdio");
  return {};
}

void reset_stdio() {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return;
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  close(null);
}

// berthd's runtime record, or berth's own runtime at the shim's runtime root.
Result<RuntimeChoice> runtime_of(const ShimOptions& o) {
  std::string path = path_join(o.state_dir, kRuntimeFile);
  if (!path_exists(path)) {
    RuntimeChoice r;
    r.root = o.runtime_root;
    r.seccomp_cache = o.seccomp_cache_dir;
    return r;
  }
  auto text = BERTH_TRY(read_file(path), "");
  return runtime_choice_from_json(nlohmann::json::parse(text, nullptr, false));
}

int exit_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255; }

// Copies both pipes into the log until the init exits and the pipes reach EOF.
int pump(LogWriter& log, runtime::Created& c, UniqueFd out_r, UniqueFd err_r) {
  LineSplitter split_out, split_err;
  auto emit = [&](const char* stream) {
    return [&, stream](std::string_view line) { log.write(stream, line); };
  };
  int status = -1;
  char buf[32 * 1024];
  while (out_r || err_r) {
    pollfd fds[3] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}, {c.pidfd.get(), POLLIN, 0}};
    // Once the init is gone, its namespace is gone too; the pipes drain to EOF at once, but a
    // process that escaped the namespace could hold them: bound that wait.
    int timeout = status < 0 ? -1 : 2000;
    int n = poll(fds, 3, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) break;
    if (fds[2].revents & POLLIN && status < 0) {
      int st = 0;
      if (waitpid(c.pid, &st, 0) == c.pid) status = exit_status(st);
      c.pidfd.reset();
    }
    for (int i = 0; i < 2; ++i) {
      UniqueFd& fd = i == 0 ? out_r : err_r;
      if (!fd || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fd.get(), buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      auto& sp = i == 0 ? split_out : split_err;
      const char* name = i == 0 ? "stdout" : "stderr";
      if (r <= 0) {
        sp.flush(emit(name));
        fd.reset();
      } else {
        sp.feed(std::string_view(buf, static_cast<size_t>(r)), emit(name));
      }
    }
  }
  split_out.flush(emit("stdout"));
  split_err.flush(emit("stderr"));
  if (status < 0 && c.pidfd) {
    int st = 0;
    if (waitpid(c.pid, &st, 0) == c.pid) status = exit_status(st);
  }
  log.sync();
  return status < 0 ? 255 : status;
}

}  // namespace

int run_shim(const ShimOptions& o) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  // An external runtime we exec must not hold berthd's report open.
  if (o.ready_fd >= 0) fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC);
  auto fail_start = [&](const Error& e) {
    report(o.ready_fd, "error " + e.what());
    return 1;
  };
  nlohmann::json state = {{"Pid", getpid()}, {"Socket", path_join(o.state_dir, "attach.sock")}};
  if (auto r = write_file_atomic(path_join(o.state_dir, kShimStateFile), state.dump() + "\n", 0600); !r)
    return fail_start(r.error());
  auto rt = runtime_of(o);
  if (!rt) return fail_start(rt.error());
  auto driver = make_runtime_driver(*rt);
  auto log = open_log_writer(o.log, o.container_dir, o.id);
  if (!log) return fail_start(log.error());
  auto stdio = make_stdio(o.open_stdin);
  if (!stdio) return fail_start(stdio.error());
  if (auto r = install_stdio(*stdio); !r) return fail_start(r.error());
  auto created = driver->create(o.id, o.bundle, o.state_dir);
  reset_stdio();
  stdio->in_r.reset();
  stdio->out_w.reset();
  stdio->err_w.reset();
  if (!created) {
    (void)driver->remove(o.id, true);  // whatever the runtime left half-made
    return fail_start(created.error().wrap("create container"));
  }
  if (auto r = driver->start(o.id); !r) {
    (void)driver->remove(o.id, true);
    return fail_start(r.error().wrap("start container"));
  }
  report(o.ready_fd, "ok " + std::to_string(created->pid) + " " + std::to_string(getpid()));
  if (o.ready_fd >= 0) close(o.ready_fd);
  release_startup_code();
  int code = pump(**log, *created, std::move(stdio->out_r), std::move(stdio->err_r));
  stdio->in_w.reset();
  ExitRecord rec{code, rfc3339_now(), ""};
  (void)write_exit_record(o.container_dir, rec);
  (void)driver->remove(o.id, true);
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return 0;
}

}  // namespace berth::engine
