#include "cri/streaming/remote_command.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "common/text.hpp"
#include "cri/streaming/nonblocking_send.hpp"
#include "cri/streaming/spdy_connection.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exec_request.hpp"

namespace berth::cri::streaming {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxResizeObject = 1024;
constexpr auto kLingerAfterEnd = std::chrono::seconds(5);

enum class Channel { Error, Stdin, Stdout, Stderr, Resize };

std::optional<Channel> channel_of(const std::string& t) {
  if (t == "error") return Channel::Error;
  if (t == "stdin") return Channel::Stdin;
  if (t == "stdout") return Channel::Stdout;
  if (t == "stderr") return Channel::Stderr;
  if (t == "resize") return Channel::Resize;
  return std::nullopt;
}


class Session {
 public:
  Session(int client, const std::string& protocol, const StreamOptions& opts, Process p, SessionLimits limits)
      : client_(client), v4_(protocol == "v4.channel.k8s.io"), resize_ok_(protocol != "v2.channel.k8s.io"),
        opts_(opts), process_(std::move(p)), limits_(limits) {}

  Result<> run(std::string early) {
    set_nonblocking(client_);
    BERTH_CHECK(wait_for_streams(std::move(early)), "waiting for the client's streams");
    auto started = process_.start();
    if (!started) {
      finish_error(started.error().what());
      return {};
    }
    backend_ = std::move(*started);
    set_nonblocking(backend_.get());
    return pump();
  }

 private:
  size_t expected() const {
    return 1 + opts_.stdin + opts_.stdout + (opts_.stderr && !opts_.tty) + (opts_.tty && resize_ok_);
  }

  Result<> on_client_bytes(std::string_view bytes) {
    auto events = conn_.feed(bytes);
    if (!events) {
      send_pending(client_, conn_);
      return fail(events.error());
    }
    for (auto& e : *events) BERTH_CHECK(on_event(e), "");
    return {};
  }

  Result<> on_event(spdy::Event& e) {
    switch (e.kind) {
      case spdy::Event::Opened: {
        std::string type = spdy::header_value(e.headers, "streamtype");
        auto ch = channel_of(type);
        if (!ch || ids_.count(*ch)) {
          // kubelet fails the session on these; refusing the one stream tells the client as much.
          log::warn("streaming: refused stream " + std::to_string(e.stream_id) + " of type '" + type + "'");
          conn_.reset(e.stream_id, spdy::kRstProtocolError);
          return {};
        }
        ids_[*ch] = e.stream_id;
        channel_by_id_[e.stream_id] = *ch;
        return conn_.reply(e.stream_id);
      }
      case spdy::Event::Data: {
        auto it = channel_by_id_.find(e.stream_id);
        if (it == channel_by_id_.end()) return {};
        if (it->second == Channel::Stdin && opts_.stdin) {
          to_backend_ += engine::encode_frame(engine::FrameType::Stdin, e.data);
        } else if (it->second == Channel::Resize) {
          auto sizes = resize_.feed(e.data);
          if (!sizes) return fail(sizes.error());
          for (auto& s : *sizes) to_backend_ += engine::encode_resize(s.height, s.width);
        }
        conn_.consumed(e.stream_id, e.data.size());
        return {};
      }
      case spdy::Event::RemoteClosed: {
        auto it = channel_by_id_.find(e.stream_id);
        if (it != channel_by_id_.end() && it->second == Channel::Stdin && opts_.stdin && !opts_.tty &&
            process_.close_stdin_at_eof)
          to_backend_ += engine::encode_frame(engine::FrameType::CloseStdin);
        return {};
      }
      case spdy::Event::Reset:
        return {};
      case spdy::Event::GoAway:
        client_gone_ = true;
        return {};
    }
    return {};
  }

  Result<> wait_for_streams(std::string early) {
    if (!early.empty()) BERTH_CHECK(on_client_bytes(early), "");
    auto deadline = Clock::now() + limits_.stream_creation_timeout;
    char buf[16 * 1024];
    while (ids_.size() < expected()) {
      if (!send_pending(client_, conn_)) return fail(ErrorKind::Unavailable, "the client went away");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0)
        return fail(ErrorKind::Invalid, "timed out: " + std::to_string(ids_.size()) + " of " +
                                            std::to_string(expected()) + " streams after " +
                                            std::to_string(limits_.stream_creation_timeout.count()) + " ms");
      pollfd p{client_, static_cast<short>(POLLIN | (conn_.output().empty() ? 0 : POLLOUT)), 0};
      if (poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) return fail_sys("poll");
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(client_, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return fail(ErrorKind::Unavailable, "the client went away");
      BERTH_CHECK(on_client_bytes(std::string_view(buf, static_cast<size_t>(n))), "");
    }
    return {};
  }

  std::optional<uint32_t> id(Channel c) const {
    auto it = ids_.find(c);
    return it == ids_.end() ? std::nullopt : std::optional<uint32_t>(it->second);
  }

  Result<> pump() {
    engine::FrameDecoder dec;
    char buf[32 * 1024];
    bool backend_open = true;
    while (backend_open && !client_gone_) {
      bool want_client = conn_.held() + to_backend_.size() < kHighWater;
      bool want_backend = conn_.output().size() + conn_.held() < kHighWater;
      pollfd fds[2] = {
          {client_, static_cast<short>((want_client ? POLLIN : 0) | (conn_.output().empty() ? 0 : POLLOUT)), 0},
          {backend_.get(), static_cast<short>((want_backend ? POLLIN : 0) | (to_backend_.empty() ? 0 : POLLOUT)), 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return fail_sys("poll");
      }
      if (fds[1].revents & POLLOUT && !send_pending(backend_.get(), to_backend_)) backend_open = false;
      if (fds[0].revents & POLLOUT && !send_pending(client_, conn_)) client_gone_ = true;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(client_, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          client_gone_ = true;
        } else if (n > 0) {
          if (auto r = on_client_bytes(std::string_view(buf, static_cast<size_t>(n))); !r) {
            log::warn("streaming: " + r.error().what());
            client_gone_ = true;
          }
        }
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(backend_.get(), buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          backend_open = false;
        } else if (n > 0) {
          dec.feed(std::string_view(buf, static_cast<size_t>(n)));
          if (!take_frames(dec)) backend_open = false;
        }
      }
      if (!send_pending(client_, conn_)) client_gone_ = true;
    }
    if (backend_open && process_.orphaned) {
      process_.orphaned(std::move(backend_));
      return {};
    }
    if (process_.finished) process_.finished(exit_payload_);
    if (client_gone_) return {};  // nobody to tell
    if (!backend_error_.empty()) {
      finish_error(backend_error_);
      return {};
    }
    int code = 0;
    if (!exit_payload_.empty()) {
      auto e = engine::decode_exec_exit(exit_payload_);
      code = e ? e->exit_code : -1;
    }
    finish(v4_ ? exit_status_json(code, process_.cmd)
               : code == 0 ? "" : "command '" + join(process_.cmd) + "' exited with " + std::to_string(code));
    return {};
  }

  // false: the backend's stream ended (an Error frame, or garbage).
  bool take_frames(engine::FrameDecoder& dec) {
    while (true) {
      auto fr = dec.next();
      if (!fr) {
        backend_error_ = fr.error().what();
        return false;
      }
      if (!*fr) return true;
      auto& f = **fr;
      switch (f.type) {
        case engine::FrameType::Stdout:
          if (auto i = id(Channel::Stdout)) conn_.send(*i, f.payload);
          break;
        case engine::FrameType::Stderr:
          if (auto i = id(opts_.tty ? Channel::Stdout : Channel::Stderr)) conn_.send(*i, f.payload);
          break;
        case engine::FrameType::ExecExit:
          exit_payload_ = f.payload;
          break;
        case engine::FrameType::Error:
          backend_error_ = f.payload;
          return false;
        default:
          break;
      }
    }
  }

  void finish_error(const std::string& message) { finish(v4_ ? error_status_json(message) : message); }

  // Output streams end, then the error stream carries the outcome and ends; the client closes.
  void finish(const std::string& status) {
    for (auto c : {Channel::Stdout, Channel::Stderr})
      if (auto i = id(c)) conn_.send(*i, "", true);
    if (auto i = id(Channel::Error)) conn_.send(*i, status, true);
    conn_.go_away();
    // Everything out, then wait (bounded) for the client to close first: closing with its bytes
    // unread would reset the connection and could lose the tail of what we sent.
    auto deadline = Clock::now() + kLingerAfterEnd;
    char buf[4096];
    bool shut = false;
    while (Clock::now() < deadline) {
      if (!send_pending(client_, conn_)) return;
      if (conn_.output().empty() && conn_.held() == 0 && !shut) {
        shutdown(client_, SHUT_WR);
        shut = true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{client_, static_cast<short>(POLLIN | (conn_.output().empty() ? 0 : POLLOUT)), 0};
      if (poll(&p, 1, static_cast<int>(std::max<long>(left, 1))) <= 0) continue;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(client_, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
        if (n > 0 && !conn_.feed(std::string_view(buf, static_cast<size_t>(n)))) return;
      }
    }
  }

  int client_;
  bool v4_, resize_ok_;
  StreamOptions opts_;
  Process process_;
  SessionLimits limits_;
  spdy::Connection conn_;
  std::map<Channel, uint32_t> ids_;
  std::map<uint32_t, Channel> channel_by_id_;
  ResizeDecoder resize_;
  UniqueFd backend_;
  std::string to_backend_;
  std::string exit_payload_, backend_error_;
  bool client_gone_ = false;
};

}  // namespace

std::string exit_status_json(int exit_code, const std::vector<std::string>& cmd) {
  if (exit_code == 0) return json{{"metadata", json::object()}, {"status", "Success"}}.dump();
  return json{{"metadata", json::object()},
              {"status", "Failure"},
              {"message", "command terminated with non-zero exit code: command '" + join(cmd) + "' exited with " +
                              std::to_string(exit_code)},
              {"reason", "NonZeroExitCode"},
              {"details", {{"causes", json::array({{{"reason", "ExitCode"}, {"message", std::to_string(exit_code)}}})}}}}
      .dump();
}

std::string error_status_json(const std::string& message) {
  return json{{"metadata", json::object()}, {"status", "Failure"}, {"message", message}, {"reason", "InternalError"},
              {"code", 500}}
      .dump();
}

Result<std::vector<ResizeDecoder::Size>> ResizeDecoder::feed(std::string_view data) {
  buf_.append(data);
  std::vector<Size> out;
  while (true) {
    size_t start = buf_.find_first_not_of(" \t\r\n");
    if (start == std::string::npos) {
      buf_.clear();
      return out;
    }
    if (buf_[start] != '{') return fail(ErrorKind::Invalid, "resize stream: expected a JSON object");
    // The object's end: the brace that closes the first, outside strings.
    int depth = 0;
    bool in_str = false, esc = false;
    size_t end = std::string::npos;
    for (size_t i = start; i < buf_.size() && end == std::string::npos; ++i) {
      char c = buf_[i];
      if (in_str) {
        if (esc) esc = false;
        else if (c == '\\') esc = true;
        else if (c == '"') in_str = false;
      } else if (c == '"') {
        in_str = true;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}' && --depth == 0) {
        end = i;
      }
    }
    if (end == std::string::npos) {
      if (buf_.size() - start > kMaxResizeObject) return fail(ErrorKind::Invalid, "resize stream: object longer than 1 KiB");
      buf_.erase(0, start);
      return out;
    }
    auto j = json::parse(buf_.substr(start, end - start + 1), nullptr, false);
    buf_.erase(0, end + 1);
    if (j.is_discarded() || !j.is_object()) return fail(ErrorKind::Invalid, "resize stream: malformed JSON");
    Size s;
    for (auto [key, field] : {std::pair{"Width", &s.width}, std::pair{"Height", &s.height}}) {
      auto it = j.find(key);
      if (it == j.end()) continue;  // Go's decoder leaves a missing field at 0
      if (!it->is_number_unsigned() || it->get<uint64_t>() > 65535)
        return fail(ErrorKind::Invalid, std::string("resize stream: ") + key + " must be 0 to 65535");
      *field = it->get<uint32_t>();
    }
    out.push_back(s);
  }
}

Result<> serve_remote_command_spdy(int client, std::string early, const std::string& protocol, const StreamOptions& opts,
                                   Process process, SessionLimits limits) {
  Session s(client, protocol, opts, std::move(process), limits);
  return s.run(std::move(early));
}

}  // namespace berth::cri::streaming
