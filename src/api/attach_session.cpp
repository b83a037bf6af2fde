#include "api/attach_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "api/mux_stream.hpp"
#include "common/log.hpp"

namespace berth::api {

// The bytes one record becomes on the wire ("" when its stream was not asked for).
std::string encode(const engine::LogEntry& e, const StreamFormat& f) {
  bool is_err = e.stream == "stderr";
  if (is_err ? !f.stderr_ : !f.stdout_) return "";
  std::string payload = f.timestamps ? e.time + " " + e.log : e.log;
  if (f.tty) return payload;
  return mux_frame(is_err ? StdStream::Stderr : StdStream::Stdout, payload);
}


Result<std::pair<uint32_t, uint32_t>> parse_terminal_size(const Request& req) {
  auto dim = [&](const char* k) -> Result<uint32_t> {
    auto v = req.query_value(k).value_or("");
    char* end = nullptr;
    errno = 0;
    long long n = v.empty() ? -1 : std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || !end || *end != 0 || errno == ERANGE)
      return fail(ErrorKind::Invalid, "strconv.Atoi: parsing \"" + v + "\": invalid syntax");
    if (n < 0 || n > engine::kMaxWinSize)
      return fail(ErrorKind::Invalid, std::string("invalid terminal size: ") + k + "=" + v + " (0 to 65535)");
    return static_cast<uint32_t>(n);
  };
  uint32_t h = BERTH_TRY(dim("h"), "");
  uint32_t w = BERTH_TRY(dim("w"), "");
  return std::pair{h, w};
}

constexpr size_t kEarlyStdinLimit = 1 << 20;  // stdin held while an attach waits for the start

bool AttachSession::wait_for_start(engine::AttachWaiter& w) {
  while (true) {
    bool take = want_stdin_ && client_open_ && early_.size() < kEarlyStdinLimit;
    pollfd fds[2] = {{w.ready.get(), POLLIN, 0}, {client_, static_cast<short>(take ? POLLIN : 0), 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[0].revents & POLLIN) return true;
    if (fds[1].revents & POLLIN) {
      char buf[16 * 1024];
      ssize_t n = read(client_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      if (n == 0) client_open_ = false;  // half-closed: stdin ended, the output may still go out
      else early_.append(buf, static_cast<size_t>(n));
    } else if (fds[1].revents & (POLLHUP | POLLERR)) {
      return false;
    }
  }
}

void AttachSession::run(UniqueFd shim) {
  shim_ = std::move(shim);
  int fl = fcntl(shim_.get(), F_GETFL);
  fcntl(shim_.get(), F_SETFL, fl | O_NONBLOCK);  // stdin is queued: never blocked by the shim
  if (!early_.empty()) {
    std::string e = std::move(early_);
    if (!client_input(e)) return finish();
  }
  if (!client_open_ && !client_eof()) return finish();
  engine::FrameDecoder dec;
  char buf[32 * 1024];
  while (true) {
    bool take = client_open_ && to_shim_.size() < kToShimHigh;
    short shim_ev = POLLIN | (to_shim_.empty() ? 0 : POLLOUT);
    pollfd fds[2] = {{shim_.get(), shim_ev, 0}, {client_, static_cast<short>(take ? POLLIN : 0), 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return finish();
    }
    if (fds[0].revents & POLLOUT) flush_to_shim();
    if (fds[1].revents & POLLIN) {
      ssize_t n = read(client_, buf, sizeof buf);
      if (n < 0 && errno != EINTR) return finish();
      if (n == 0) {
        client_open_ = false;
        if (!client_eof()) return finish_after_stdin();
      } else if (n > 0 && !client_input(std::string_view(buf, static_cast<size_t>(n)))) {
        return finish_after_stdin();
      }
    } else if (fds[1].revents & (POLLHUP | POLLERR)) {
      return finish();  // the client is gone: nothing to wait for
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(shim_.get(), buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {  // the output has ended
        shim_.reset();
        return finish();
      }
      dec.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (true) {
        auto fr = dec.next();
        if (!fr) {
          log::error("attach: " + fr.error().what());
          return finish();
        }
        if (!*fr) break;
        auto& frame = **fr;
        if (frame.type == engine::FrameType::Error) {
          log::error("attach: the shim refused: " + frame.payload);
          return finish();
        }
        if (frame.type == engine::FrameType::ExecExit && on_exec_exit_) on_exec_exit_(frame.payload);
        if (frame.type != engine::FrameType::Stdout && frame.type != engine::FrameType::Stderr) continue;
        engine::LogEntry e{frame.type == engine::FrameType::Stderr ? "stderr" : "stdout", frame.payload, ""};
        StreamFormat plain = f_;
        plain.timestamps = false;
        if (auto s = encode(e, plain); !s.empty() && !send_all(client_, s)) return finish();
      }
    }
  }
}

bool AttachSession::client_input(std::string_view data) {
  if (!want_stdin_) return true;  // dockerd reads and drops them
  std::string fwd = detach_.feed(data);
  if (!fwd.empty()) to_shim_ += engine::encode_frame(engine::FrameType::Stdin, fwd);
  flush_to_shim();
  return !detach_.detached();
}

bool AttachSession::client_eof() {
  if (!want_stdin_) return true;
  std::string held = detach_.take_pending();
  if (!held.empty()) to_shim_ += engine::encode_frame(engine::FrameType::Stdin, held);
  if (stdin_once_ && !f_.tty) {
    to_shim_ += engine::encode_frame(engine::FrameType::CloseStdin);
    flush_to_shim();
    return true;
  }
  return false;
}

void AttachSession::flush_to_shim() {
  while (!to_shim_.empty()) {
    ssize_t n = send(shim_.get(), to_shim_.data(), to_shim_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      // The shim closed: its last output (an exec's exit report) may still wait in the socket,
      // so the session goes on until that side reads EOF. What it did not take is dropped.
      to_shim_.clear();
      return;
    }
    to_shim_.erase(0, static_cast<size_t>(n));
  }
}

void AttachSession::finish_after_stdin() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!to_shim_.empty() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{shim_.get(), POLLOUT, 0};
    if (poll(&p, 1, 100) < 0 && errno != EINTR) break;
    flush_to_shim();
  }
  finish();
}

void AttachSession::finish() { shutdown(client_, SHUT_RDWR); }

}  // namespace berth::api
