#include "engine/shim_exec.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "engine/shim_stdio.hpp"

namespace berth::engine {

namespace {
constexpr size_t kConnHigh = 1 << 20;   // output queued for berthd before we stop reading more
constexpr size_t kExecStdinHigh = 1 << 20;  // stdin the process has not read yet
constexpr long long kDrainMs = 2'000;   // output still open after the process exited
constexpr long long kCloseMs = 5'000;   // for berthd to take the exit report
}  // namespace

Result<std::unique_ptr<ShimExec>> ShimExec::start(RuntimeDriver& driver, const std::string& id, const std::string& work_dir,
                                                  const ExecRequest& req) {
  std::unique_ptr<ShimExec> e(new ShimExec());
  e->tty_ = req.process.value("terminal", false);
  Stdio stdio;
  if (!e->tty_) {
    stdio = BERTH_TRY(make_stdio(req.open_stdin), "");
    BERTH_CHECK(install_stdio(stdio), "");
  }
  auto created = driver.exec(id, req.process, work_dir);
  if (!e->tty_) reset_stdio(stdio);
  if (!created) return fail(created.error());
  e->pid_ = created->pid;
  e->pidfd_ = std::move(created->pidfd);
  if (e->tty_) {
    e->out_ = std::move(created->console);  // read for output, written for stdin
    set_nonblock(e->out_.get());
    if (req.open_stdin) e->stdin_fd_ = e->out_.get();
  } else {
    e->out_ = std::move(stdio.out_r);
    e->err_ = std::move(stdio.err_r);
    set_nonblock(e->out_.get());
    set_nonblock(e->err_.get());
    if (stdio.in_w) {
      e->in_w_ = std::move(stdio.in_w);
      set_nonblock(e->in_w_.get());
      e->stdin_fd_ = e->in_w_.get();
    }
  }
  if (req.timeout_ms > 0) e->kill_at_ = now_ms() + req.timeout_ms;
  return e;
}

void ShimExec::connect(UniqueFd conn, FrameDecoder decoder) {
  conn_ = std::move(conn);
  dec_ = std::move(decoder);
  conn_out_ = encode_frame(FrameType::ExecStarted, std::to_string(pid_));
  send_conn();
  handle_buffered();
}

ShimExec::~ShimExec() {
  // The shim is ending (its container is gone): nothing of the exec may stay behind.
  if (status_ < 0 && pidfd_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ShimExec::holding_output() const { return conn_ && conn_out_.size() >= kConnHigh; }

void ShimExec::add_polls(std::vector<pollfd>& fds) const {
  bool read_out = !holding_output();
  short out_ev = read_out ? POLLIN : 0;
  if (tty_ && stdin_fd_ >= 0 && !stdin_buf_.empty()) out_ev |= POLLOUT;
  fds.push_back({pidfd_ ? pidfd_.get() : -1, POLLIN, 0});
  fds.push_back({out_ && out_ev ? out_.get() : -1, out_ev, 0});
  fds.push_back({err_ && read_out ? err_.get() : -1, POLLIN, 0});
  fds.push_back({!tty_ && in_w_ && !stdin_buf_.empty() ? in_w_.get() : -1, POLLOUT, 0});
  short conn_ev = static_cast<short>((stdin_buf_.size() < kExecStdinHigh ? POLLIN : 0) | (conn_out_.empty() ? 0 : POLLOUT));
  fds.push_back({conn_ ? conn_.get() : -1, conn_ev, 0});
}

void ShimExec::on_polls(const pollfd* fds, long long now) {
  if (fds[0].revents & POLLIN) reap();
  if (fds[1].revents & POLLOUT) flush_stdin();
  if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) read_output(false);
  if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) read_output(true);
  if (fds[3].revents & (POLLOUT | POLLHUP | POLLERR)) flush_stdin();
  if (fds[4].revents & POLLIN) read_conn();
  else if (fds[4].revents & (POLLHUP | POLLERR)) drop_conn();
  if (fds[4].revents & POLLOUT) send_conn();
  maybe_finish(now);
}

long long ShimExec::deadline() const {
  long long d = 0;
  auto at = [&](long long t) {
    if (t && (!d || t < d)) d = t;
  };
  if (status_ < 0) at(kill_at_);
  if (exited_at_ && (out_ || err_)) at(exited_at_ + kDrainMs);
  if (conn_) at(close_by_);
  return d;
}

void ShimExec::on_timer(long long now) {
  if (status_ < 0 && kill_at_ && now >= kill_at_) {
    kill(pid_, SIGKILL);  // still our unreaped child: the pid cannot have been reused
    timed_out_ = true;
    kill_at_ = 0;
  }
  if (exited_at_ && now >= exited_at_ + kDrainMs) {
    // Something the process left running holds its output open: the exec is over all the same.
    out_.reset();
    err_.reset();
    stdin_fd_ = -1;
  }
  if (close_by_ && now >= close_by_) drop_conn();
  maybe_finish(now);
}

void ShimExec::reap() {
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) != pid_) return;
  status_ = exit_status(st);
  exited_at_ = now_ms();
  pidfd_.reset();
}

void ShimExec::read_output(bool is_err) {
  UniqueFd& fd = is_err ? err_ : out_;
  if (!fd) return;
  char buf[32 * 1024];
  ssize_t r = read(fd.get(), buf, sizeof buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {  // EOF; EIO on a pty master whose every slave is closed
    if (tty_) stdin_fd_ = -1;
    fd.reset();
    return;
  }
  if (conn_) conn_out_ += encode_frame(is_err ? FrameType::Stderr : FrameType::Stdout, std::string_view(buf, static_cast<size_t>(r)));
  send_conn();
}

void ShimExec::flush_stdin() {
  while (stdin_fd_ >= 0 && !stdin_buf_.empty()) {
    ssize_t w = write(stdin_fd_, stdin_buf_.data(), stdin_buf_.size());
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w <= 0) {  // the process closed its stdin: what it did not read is dropped
      stdin_buf_.clear();
      close_stdin();
      return;
    }
    stdin_buf_.erase(0, static_cast<size_t>(w));
  }
  if (stdin_buf_.empty() && close_stdin_) close_stdin();
}

void ShimExec::close_stdin() {
  if (tty_) return;  // the pty master is also the output
  in_w_.reset();
  stdin_fd_ = -1;
}

void ShimExec::read_conn() {
  char buf[16 * 1024];
  ssize_t r = read(conn_.get(), buf, sizeof buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) return drop_conn();
  dec_.feed(std::string_view(buf, static_cast<size_t>(r)));
  handle_buffered();
}

void ShimExec::handle_buffered() {
  while (conn_) {
    auto f = dec_.next();
    if (!f) return drop_conn();  // garbage from berthd: stop listening, the process runs on
    if (!*f) break;
    handle(**f);
  }
}

void ShimExec::handle(const Frame& f) {
  switch (f.type) {
    case FrameType::Stdin:
      if (stdin_fd_ < 0 || close_stdin_) return;
      stdin_buf_ += f.payload;
      flush_stdin();
      return;
    case FrameType::CloseStdin:
      close_stdin_ = true;
      flush_stdin();
      return;
    case FrameType::Resize:
      if (auto rc = decode_resize(f.payload)) resize(rc->first, rc->second);
      return;
    default:
      return;
  }
}

void ShimExec::resize(uint32_t rows, uint32_t cols) {
  if (!tty_ || !out_) return;  // without a terminal there is nothing to resize
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  ioctl(out_.get(), TIOCSWINSZ, &ws);
}

void ShimExec::send_conn() {
  while (conn_ && !conn_out_.empty()) {
    ssize_t w = send(conn_.get(), conn_out_.data(), conn_out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w <= 0) return drop_conn();
    conn_out_.erase(0, static_cast<size_t>(w));
  }
  if (conn_ && exit_sent_ && conn_out_.empty()) conn_.reset();
}

// berthd went away (or restarts): the process runs on without stdin, its output is dropped.
void ShimExec::drop_conn() {
  conn_.reset();
  conn_out_.clear();
  if (!tty_) {
    stdin_buf_.clear();
    close_stdin();
  }
}

void ShimExec::maybe_finish(long long now) {
  if (exit_sent_ || status_ < 0 || out_ || err_) return;
  exit_sent_ = true;
  if (!conn_) return;
  conn_out_ += encode_frame(FrameType::ExecExit, encode_exec_exit({status_, timed_out_}));
  close_by_ = now + kCloseMs;
  send_conn();
}

}  // namespace berth::engine
