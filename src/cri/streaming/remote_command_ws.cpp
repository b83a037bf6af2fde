#include "cri/streaming/remote_command_ws.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.hpp"
#include "cri/streaming/nonblocking_send.hpp"
#include "cri/streaming/ws_frame.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exec_request.hpp"

namespace berth::cri::streaming {

namespace {

constexpr char kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4;
constexpr unsigned char kClose = 255;
constexpr auto kLinger = std::chrono::seconds(5);

class WsSession {
 public:
  WsSession(int client, const std::string& protocol, const StreamOptions& opts, Process p)
      : client_(client), v5_(protocol == "v5.channel.k8s.io"), opts_(opts), process_(std::move(p)) {}

  Result<> run(std::string early) {
    set_nonblocking(client_);
    reader_.feed(early);
    auto started = process_.start();
    if (!started) {
      finish(error_status_json(started.error().what()));
      return {};
    }
    backend_ = std::move(*started);
    set_nonblocking(backend_.get());
    if (!take_client()) client_gone_ = true;
    engine::FrameDecoder dec;
    char buf[32 * 1024];
    bool backend_open = true;
    std::string backend_error, exit_payload;
    while (backend_open && !client_gone_) {
      bool want_client = to_backend_.size() < kHighWater;
      bool want_backend = to_client_.size() < kHighWater;
      pollfd fds[2] = {
          {client_, static_cast<short>((want_client ? POLLIN : 0) | (to_client_.empty() ? 0 : POLLOUT)), 0},
          {backend_.get(), static_cast<short>((want_backend ? POLLIN : 0) | (to_backend_.empty() ? 0 : POLLOUT)), 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return fail_sys("poll");
      }
      if (fds[1].revents & POLLOUT && !send_pending(backend_.get(), to_backend_)) backend_open = false;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(client_, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) client_gone_ = true;
        else if (n > 0) {
          reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
          if (!take_client()) client_gone_ = true;
        }
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(backend_.get(), buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) backend_open = false;
        else if (n > 0) {
          dec.feed(std::string_view(buf, static_cast<size_t>(n)));
          while (true) {
            auto fr = dec.next();
            if (!fr) {
              backend_error = fr.error().what();
              backend_open = false;
              break;
            }
            if (!*fr) break;
            auto& f = **fr;
            if (f.type == engine::FrameType::Stdout && opts_.stdout) out(kStdout, f.payload);
            else if (f.type == engine::FrameType::Stderr) out(opts_.tty ? kStdout : kStderr, f.payload);
            else if (f.type == engine::FrameType::ExecExit) exit_payload = f.payload;
            else if (f.type == engine::FrameType::Error) {
              backend_error = f.payload;
              backend_open = false;
              break;
            }
          }
        }
      }
      if (!send_pending(client_, to_client_)) client_gone_ = true;
    }
    if (backend_open && process_.orphaned) {
      process_.orphaned(std::move(backend_));
      return {};
    }
    if (process_.finished) process_.finished(exit_payload);
    if (client_gone_) return {};
    if (!backend_error.empty()) {
      finish(error_status_json(backend_error));
      return {};
    }
    int code = 0;
    if (!exit_payload.empty()) {
      auto e = engine::decode_exec_exit(exit_payload);
      code = e ? e->exit_code : -1;
    }
    finish(exit_status_json(code, process_.cmd));
    return {};
  }

 private:
  void out(char channel, std::string_view data) {
    std::string m(1, channel);
    m += data;
    to_client_ += ws::encode(ws::Opcode::Binary, m);
  }

  // false: the client closed the WebSocket or sent something malformed.
  bool take_client() {
    while (true) {
      auto m = reader_.next();
      if (!m) {
        log::warn("streaming websocket: " + m.error().what());
        to_client_ += ws::encode(ws::Opcode::Close, std::string("\x03\xea", 2));  // 1002: protocol error
        send_pending(client_, to_client_);
        return false;
      }
      if (!*m) return true;
      auto& msg = **m;
      if (msg.opcode == ws::Opcode::Ping) {
        to_client_ += ws::encode(ws::Opcode::Pong, msg.payload);
        continue;
      }
      if (msg.opcode == ws::Opcode::Close) return false;
      if (msg.opcode != ws::Opcode::Binary || msg.payload.empty()) continue;
      unsigned char ch = static_cast<unsigned char>(msg.payload[0]);
      std::string_view data = std::string_view(msg.payload).substr(1);
      if (ch == kStdin && opts_.stdin) {
        if (!data.empty()) to_backend_ += engine::encode_frame(engine::FrameType::Stdin, data);
      } else if (ch == kResize) {
        auto sizes = resize_.feed(data);
        if (!sizes) {
          log::warn("streaming websocket: " + sizes.error().what());
          return false;
        }
        for (auto& s : *sizes) to_backend_ += engine::encode_resize(s.height, s.width);
      } else if (v5_ && ch == kClose && data.size() == 1 && data[0] == kStdin && opts_.stdin && !opts_.tty &&
                 process_.close_stdin_at_eof) {
        to_backend_ += engine::encode_frame(engine::FrameType::CloseStdin);
      }
    }
  }

  void finish(const std::string& status) {
    out(kError, status);
    to_client_ += ws::encode(ws::Opcode::Close, std::string("\x03\xe8", 2));  // 1000: normal closure
    auto deadline = std::chrono::steady_clock::now() + kLinger;
    bool shut = false;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      if (!send_pending(client_, to_client_)) return;
      if (to_client_.empty() && !shut) {
        shutdown(client_, SHUT_WR);
        shut = true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd p{client_, static_cast<short>(POLLIN | (to_client_.empty() ? 0 : POLLOUT)), 0};
      if (poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) continue;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(client_, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
      }
    }
  }

  int client_;
  bool v5_;
  StreamOptions opts_;
  Process process_;
  ws::Reader reader_;
  ResizeDecoder resize_;
  UniqueFd backend_;
  std::string to_backend_, to_client_;
  bool client_gone_ = false;
};

}  // namespace

Result<> serve_remote_command_ws(int client, std::string early, const std::string& protocol, const StreamOptions& opts,
                                 Process process) {
  WsSession s(client, protocol, opts, std::move(process));
  return s.run(std::move(early));
}

}  // namespace berth::cri::streaming
