#include "engine/shim.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/fs.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exit_record.hpp"
#include "engine/json_log.hpp"
#include "engine/log_writer.hpp"
#include "engine/runtime_driver.hpp"
#include "engine/shim_exec.hpp"
#include "engine/shim_memory.hpp"
#include "engine/shim_stdio.hpp"
#include "runtime/cgroup/cgroup_oom.hpp"
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

// Whether the OOM killer struck in the container's memory cgroup (--memory): read before the
// runtime deletes the cgroup. The v1 memory controller first (hybrid hosts), then v2.
bool oom_killed_in(const std::string& bundle) {
  auto text = read_file(path_join(bundle, "config.json"));
  if (!text) return false;
  auto spec = nlohmann::json::parse(*text, nullptr, false);
  if (!spec.is_object() || !spec.contains("linux") || !spec["linux"].value("cgroupsPath", nlohmann::json()).is_string()) return false;
  auto path = spec["linux"]["cgroupsPath"].get<std::string>();
  if (path.empty() || path.find("..") != std::string::npos || path.find(':') != std::string::npos) return false;
  if (path.front() != '/') path = "/" + path;
  for (auto file : {"/sys/fs/cgroup/memory" + path + "/memory.oom_control", "/sys/fs/cgroup" + path + "/memory.events"})
    if (auto n = runtime::read_oom_kill_count(file)) return *n > 0;
  return false;
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

// The container's log (its driver's LogWriter): the one place its output is recorded. Without a TTY
// records are lines, as dockerd's copier makes them; with one, every read becomes a record at
// once (a prompt has no newline and must not wait for one).
class LogSink {
 public:
  LogSink(LogWriter& w, bool tty) : w_(w), tty_(tty) {}
  void write(bool is_err, std::string_view data) {
    auto& sp = is_err ? err_ : out_;
    auto emit = [&](std::string_view rec) { write_record(is_err, rec); };
    sp.feed(data, emit);
    if (tty_) sp.flush(emit);
  }
  void eof(bool is_err) {
    (is_err ? err_ : out_).flush([&](std::string_view rec) { write_record(is_err, rec); });
  }
  // A line still being read goes whole into the new file.
  Result<> reopen() { return w_.reopen(); }
  void close() {
    eof(false);
    eof(true);
    w_.sync();
  }

 private:
  void write_record(bool is_err, std::string_view rec) { w_.write(is_err ? "stderr" : "stdout", rec); }
  LogWriter& w_;
  bool tty_;
  LineSplitter out_, err_;
};

// One connection on the attach socket (berthd: an attach session or a resize).
struct Client {
  UniqueFd fd;
  FrameDecoder in;
  std::string out;          // frames not yet sent
  bool attached = false;    // gets the live output
  bool closing = false;     // an Error frame is queued: send it, then close
  long long stalled_since = 0;
};

constexpr size_t kClientHigh = 1 << 20;  // a client this far behind holds the container's output back
constexpr long long kStallLimitMs = 30'000;  // ... for this long at most, then it is dropped
constexpr size_t kStdinHigh = 1 << 20;       // stdin bytes the container has not read yet
constexpr long long kAttachWaitMs = 10'000;  // attachers berthd announced that never came
constexpr long long kDrainMs = 2'000;        // output still open after the init exited
constexpr long long kIdleTrimMs = 30'000;    // quiet this long: the code it ran is dropped again

// The shim's single poll loop: the container's output into the log and to attached clients,
// clients' stdin into the container, resizes onto the pty, the init's exit on its pidfd.
class Pump {
 public:
  Pump(const ShimOptions& o, RuntimeDriver& driver, runtime::Created& c, UniqueFd listener, Stdio& stdio, LogWriter& log)
      : o_(o), driver_(driver), c_(c), listener_(std::move(listener)), log_(log, static_cast<bool>(c.console)) {
    if (c.console) {
      tty_ = true;
      out_ = std::move(c.console);  // read for output, written for stdin
      set_nonblock(out_.get());
      if (o.open_stdin) stdin_fd_ = out_.get();
    } else {
      out_ = std::move(stdio.out_r);
      err_ = std::move(stdio.err_r);
      set_nonblock(out_.get());
      set_nonblock(err_.get());
      if (stdio.in_w) {
        in_w_ = std::move(stdio.in_w);
        set_nonblock(in_w_.get());
        stdin_fd_ = in_w_.get();
      }
    }
    hold_until_ = o.attach_wait > 0 ? now_ms() + kAttachWaitMs : 0;
  }

  // Returns the container's exit status.
  int run() {
    while (true) {
      long long now = now_ms();
      bool holding = hold_until_ && attached_count_ < o_.attach_wait && now < hold_until_;
      if (!holding) hold_until_ = 0;
      bool outputs_open = out_ || err_;
      if (!outputs_open && status_ >= 0 && execs_.empty()) break;
      bool backlog = client_backlog(now);
      if (status_ >= 0 && !holding && !backlog && exited_at_ && now - exited_at_ > kDrainMs) break;
      bool read_output = !holding && !backlog;

      std::vector<pollfd> fds;
      fds.push_back({c_.pidfd ? c_.pidfd.get() : -1, POLLIN, 0});
      fds.push_back({listener_ ? listener_.get() : -1, POLLIN, 0});
      short out_ev = read_output ? POLLIN : 0;
      if (tty_ && stdin_fd_ >= 0 && !stdin_buf_.empty()) out_ev |= POLLOUT;
      // Not polled at all while the output is held: a hung-up pipe would report POLLHUP anyway.
      fds.push_back({out_ && out_ev ? out_.get() : -1, out_ev, 0});
      fds.push_back({err_ && read_output ? err_.get() : -1, POLLIN, 0});
      bool pipe_stdin = !tty_ && in_w_ && !stdin_buf_.empty();
      fds.push_back({pipe_stdin ? in_w_.get() : -1, POLLOUT, 0});
      size_t first_client = fds.size();
      bool take_stdin = stdin_buf_.size() < kStdinHigh;
      for (auto& cl : clients_) {
        short ev = 0;
        if (!cl->closing && take_stdin) ev |= POLLIN;
        if (!cl->out.empty()) ev |= POLLOUT;
        fds.push_back({cl->fd.get(), ev, 0});
      }
      size_t first_exec = fds.size(), n_execs = execs_.size();
      for (auto& e : execs_) e->add_polls(fds);
      int timeout = -1;
      auto until = [&](long long deadline) {
        long long left = std::max<long long>(0, deadline - now) + 1;
        if (timeout < 0 || left < timeout) timeout = static_cast<int>(left);
      };
      if (hold_until_) until(hold_until_);
      if (exited_at_) until(exited_at_ + kDrainMs + 1);
      if (backlog) until(now + 1000);
      if (!trimmed_) until(last_activity_ + kIdleTrimMs);
      for (auto& e : execs_)
        if (long long d = e->deadline()) until(d);
      int n = poll(fds.data(), fds.size(), timeout);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      if (n == 0) {
        if (!trimmed_ && now_ms() - last_activity_ >= kIdleTrimMs) {
          drop_clean_file_pages();  // idle again: what the activity paged in goes back
          trimmed_ = true;
        }
        exec_timers();
        continue;
      }
      last_activity_ = now_ms();
      trimmed_ = false;

      if (fds[0].revents & POLLIN) reap_init();
      if (fds[1].revents & POLLIN) accept_clients();
      if (fds[2].revents & POLLOUT) flush_stdin();
      if (read_output && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) read_output_fd(false);
      if (read_output && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) read_output_fd(true);
      if (fds[4].revents & (POLLOUT | POLLERR | POLLHUP)) flush_stdin();
      // Clients accepted and execs started in this round are not in fds yet.
      for (size_t i = first_client; i < first_exec; ++i) serve_client(*clients_[i - first_client], fds[i].revents);
      std::erase_if(clients_, [](const std::unique_ptr<Client>& cl) { return !cl->fd; });
      for (size_t i = 0; i < n_execs; ++i) execs_[i]->on_polls(&fds[first_exec + i * ShimExec::kPolls], last_activity_);
      exec_timers();
    }
    log_.close();
    execs_.clear();  // the container is gone: so are they (killed and reaped, if not yet)
    if (status_ < 0 && c_.pidfd) {
      int st = 0;
      if (waitpid(c_.pid, &st, 0) == c_.pid) status_ = exit_status(st);
    }
    finish_clients();
    return status_ < 0 ? 255 : status_;
  }

 private:
  void exec_timers() {
    long long now = now_ms();
    for (auto& e : execs_)
      if (long long d = e->deadline(); d && d <= now) e->on_timer(now);
    std::erase_if(execs_, [](const std::unique_ptr<ShimExec>& e) { return e->done(); });
  }

  // The Exec frame: the connection becomes the exec's.
  void start_exec(Client& cl, const std::string& payload) {
    if (status_ >= 0) return refuse(cl, "container " + o_.id + " is not running");
    auto req = decode_exec_request(payload);
    if (!req) return refuse(cl, req.error().what());
    auto e = ShimExec::start(driver_, o_.id, o_.state_dir, *req);
    if (!e) return refuse(cl, e.error().what());
    (*e)->connect(std::move(cl.fd), std::move(cl.in));
    cl.fd.reset();
    execs_.push_back(std::move(*e));
  }

  void reap_init() {
    int st = 0;
    if (waitpid(c_.pid, &st, WNOHANG) == c_.pid) {
      status_ = exit_status(st);
      exited_at_ = now_ms();
      c_.pidfd.reset();
    }
  }

  void accept_clients() {
    while (true) {
      int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      auto cl = std::make_unique<Client>();
      cl->fd = UniqueFd(fd);
      clients_.push_back(std::move(cl));
    }
  }

  void read_output_fd(bool is_err) {
    UniqueFd& fd = is_err ? err_ : out_;
    if (!fd) return;
    char buf[32 * 1024];
    ssize_t r = read(fd.get(), buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (r <= 0) {  // EOF; EIO on a pty master whose every slave is closed
      log_.eof(is_err);
      if (tty_) stdin_fd_ = -1;
      fd.reset();
      return;
    }
    std::string_view data(buf, static_cast<size_t>(r));
    log_.write(is_err, data);
    std::string frame = encode_frame(is_err ? FrameType::Stderr : FrameType::Stdout, data);
    for (auto& cl : clients_)
      if (cl->attached && !cl->closing) cl->out += frame;
  }

  void flush_stdin() {
    while (stdin_fd_ >= 0 && !stdin_buf_.empty()) {
      ssize_t w = write(stdin_fd_, stdin_buf_.data(), stdin_buf_.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) return;
      if (w <= 0) {  // the container closed its stdin: what it did not read is dropped
        stdin_buf_.clear();
        if (!tty_) {
          in_w_.reset();
          stdin_fd_ = -1;
        }
        return;
      }
      stdin_buf_.erase(0, static_cast<size_t>(w));
    }
    if (stdin_buf_.empty() && close_stdin_ && !tty_ && in_w_) {
      in_w_.reset();
      stdin_fd_ = -1;
    }
  }

  void refuse(Client& cl, const std::string& why) {
    cl.out += encode_frame(FrameType::Error, why);
    cl.closing = true;
  }

  void handle_frame(Client& cl, Frame& f) {
    switch (f.type) {
      case FrameType::Attach:
        if (!cl.attached) {
          cl.attached = true;
          ++attached_count_;
        }
        return;
      case FrameType::Stdin:
        if (stdin_fd_ < 0 || close_stdin_) return;  // no stdin to write to: dropped, as dockerd does
        stdin_buf_ += f.payload;
        flush_stdin();
        return;
      case FrameType::Exec:
        return start_exec(cl, f.payload);
      case FrameType::ExecResize: {
        auto r = decode_exec_resize(f.payload);
        if (!r) return refuse(cl, r.error().what());
        for (auto& e : execs_)
          if (e->pid() == r->pid) e->resize(r->rows, r->cols);
        return;
      }
      case FrameType::ReopenLog:
        if (auto r = log_.reopen(); !r) return refuse(cl, r.error().what());
        return;
      case FrameType::CloseStdin:
        if (!tty_) {
          close_stdin_ = true;
          flush_stdin();
        }
        return;
      case FrameType::Resize: {
        auto rc = decode_resize(f.payload);
        if (!rc) return refuse(cl, rc.error().what());
        if (!tty_) return;  // a container without a terminal has nothing to resize
        winsize ws{};
        ws.ws_row = static_cast<unsigned short>(rc->first);
        ws.ws_col = static_cast<unsigned short>(rc->second);
        if (out_ && ioctl(out_.get(), TIOCSWINSZ, &ws) != 0) return refuse(cl, "resize: " + std::string(strerror(errno)));
        return;
      }
      default:
        return refuse(cl, "attach protocol: frame type " + std::to_string(static_cast<int>(f.type)) +
                              " is not for the shim");
    }
  }

  void serve_client(Client& cl, short revents) {
    if (!cl.fd) return;
    if ((revents & POLLIN) && !cl.closing) {
      char buf[16 * 1024];
      ssize_t r = read(cl.fd.get(), buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return drop(cl);
      if (r > 0) {
        cl.in.feed(std::string_view(buf, static_cast<size_t>(r)));
        while (!cl.closing) {
          auto f = cl.in.next();
          if (!f) {
            refuse(cl, f.error().what());
            break;
          }
          if (!*f) break;
          handle_frame(cl, **f);
          if (!cl.fd) return;  // became an exec's
        }
      }
    } else if ((revents & (POLLHUP | POLLERR)) && cl.out.empty()) {
      return drop(cl);
    }
    if (!cl.out.empty() && ((revents & (POLLOUT | POLLIN)) || cl.closing)) send_some(cl);
    if (cl.closing && cl.out.empty()) drop(cl);
  }

  void send_some(Client& cl) {
    while (!cl.out.empty()) {
      ssize_t w = send(cl.fd.get(), cl.out.data(), cl.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) return;
      if (w <= 0) return drop(cl);
      cl.out.erase(0, static_cast<size_t>(w));
    }
  }

  void drop(Client& cl) {
    if (cl.attached) --attached_count_;
    cl.attached = false;
    cl.fd.reset();
    cl.out.clear();
  }

  // True while an attached client is far behind; one stalled too long is dropped.
  bool client_backlog(long long now) {
    bool any = false;
    for (auto& cl : clients_) {
      if (!cl->fd || cl->out.size() < kClientHigh) {
        cl->stalled_since = 0;
        continue;
      }
      if (!cl->stalled_since) cl->stalled_since = now;
      if (now - cl->stalled_since > kStallLimitMs) {
        drop(*cl);
        continue;
      }
      any = true;
    }
    std::erase_if(clients_, [](const std::unique_ptr<Client>& cl) { return !cl->fd; });
    return any;
  }

  // The output has ended: what is queued goes out (bounded), then every connection closes.
  void finish_clients() {
    listener_.reset();
    long long deadline = now_ms() + kDrainMs;
    while (true) {
      std::vector<pollfd> fds;
      for (auto& cl : clients_)
        if (cl->fd && !cl->out.empty()) fds.push_back({cl->fd.get(), POLLOUT, 0});
      long long left = deadline - now_ms();
      if (fds.empty() || left <= 0) break;
      if (poll(fds.data(), fds.size(), static_cast<int>(left)) <= 0) break;
      for (auto& cl : clients_)
        if (cl->fd && !cl->out.empty()) send_some(*cl);
    }
    clients_.clear();
  }

  const ShimOptions& o_;
  RuntimeDriver& driver_;
  runtime::Created& c_;
  UniqueFd listener_;
  LogSink log_;
  bool tty_ = false;
  UniqueFd out_, err_, in_w_;
  int stdin_fd_ = -1;  // in_w_, or the pty master; -1: stdin is not open
  std::string stdin_buf_;
  bool close_stdin_ = false;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<ShimExec>> execs_;
  int attached_count_ = 0;
  long long hold_until_ = 0;  // output is not read before this while attachers are awaited
  int status_ = -1;
  long long exited_at_ = 0;
  long long last_activity_ = now_ms();
  bool trimmed_ = true;  // run_shim trimmed just before the loop
};

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
  nlohmann::json state = {{"Pid", getpid()}, {"Socket", path_join(o.state_dir, kAttachSocket)}};
  if (auto r = write_file_atomic(path_join(o.state_dir, kShimStateFile), state.dump() + "\n", 0600); !r)
    return fail_start(r.error());
  auto listener = listen_attach_socket(o.state_dir);
  if (!listener) return fail_start(listener.error());
  auto rt = runtime_of(o);
  if (!rt) return fail_start(rt.error());
  auto driver = make_runtime_driver(*rt);
  auto log = open_log_writer(o.log, o.container_dir, o.id);
  if (!log) return fail_start(log.error());
  auto stdio = make_stdio(o.open_stdin);
  if (!stdio) return fail_start(stdio.error());
  if (auto r = install_stdio(*stdio); !r) return fail_start(r.error());
  auto created = driver->create(o.id, o.bundle, o.state_dir);
  reset_stdio(*stdio);
  if (!created) {
    (void)driver->remove(o.id, true);  // whatever the runtime left half-made
    return fail_start(created.error().wrap("create container"));
  }
  if (created->console && o.console_rows > 0 && o.console_cols > 0) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(o.console_rows);
    ws.ws_col = static_cast<unsigned short>(o.console_cols);
    ioctl(created->console.get(), TIOCSWINSZ, &ws);
  }
  if (auto r = driver->start(o.id); !r) {
    (void)driver->remove(o.id, true);
    return fail_start(r.error().wrap("start container"));
  }
  report(o.ready_fd, "ok " + std::to_string(created->pid) + " " + std::to_string(getpid()));
  if (o.ready_fd >= 0) close(o.ready_fd);
  drop_clean_file_pages();
  int code = Pump(o, *driver, *created, std::move(*listener), *stdio, **log).run();
  stdio->in_w.reset();
  ExitRecord rec{code, rfc3339_now(), "", oom_killed_in(o.bundle)};
  (void)write_exit_record(o.container_dir, rec);
  (void)driver->remove(o.id, true);
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return 0;
}

}  // namespace berth::engine
