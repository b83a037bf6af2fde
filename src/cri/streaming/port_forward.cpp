#include "cri/streaming/port_forward.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "cri/streaming/nonblocking_send.hpp"
#include "cri/streaming/spdy_connection.hpp"

namespace berth::cri::streaming {

namespace {


Result<UniqueFd> connect_localhost(uint16_t port) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(port);
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_sys("socket");
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&v4), sizeof v4) == 0) return s;
  int e4 = errno;
  // As the kubelet's runtimes do: localhost is IPv4 first, then IPv6.
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(port);
  v6.sin6_addr = in6addr_loopback;
  UniqueFd s6(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s6 && connect(s6.get(), reinterpret_cast<sockaddr*>(&v6), sizeof v6) == 0) return s6;
  return std::unexpected(sys_error("dial localhost:" + std::to_string(port), e4, ErrorKind::Unavailable));
}

struct Pair {
  uint16_t port = 0;
  uint32_t error_id = 0, data_id = 0;
  UniqueFd sock;
  std::string to_sock;
  bool client_done = false;  // the client half-closed the data stream
  bool sock_done = false;    // the socket reached EOF (FIN sent on the data stream)
  bool shut_wr = false;
  bool failed = false;  // told on the error stream; the other stream, when it comes, just ends
};

Result<uint16_t> parse_port(const std::string& v) {
  char* end = nullptr;
  errno = 0;
  long p = v.empty() ? -1 : std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || p <= 0 || p > 65535)
    return fail(ErrorKind::Invalid, "invalid port '" + v + "' (1 to 65535)");
  return static_cast<uint16_t>(p);
}

class Forwarder {
 public:
  Forwarder(int client, Dialer dial) : client_(client), dial_(std::move(dial)) {}

  Result<> run(std::string early) {
    set_nonblocking(client_);
    if (!early.empty()) BERTH_CHECK(on_client(early), "");
    char buf[32 * 1024];
    while (!done_) {
      std::vector<pollfd> fds;
      bool take_client = conn_.held() < kHighWater;
      fds.push_back({client_, static_cast<short>((take_client ? POLLIN : 0) | (conn_.output().empty() ? 0 : POLLOUT)), 0});
      std::vector<std::string> keys;
      for (auto& [k, p] : pairs_) {
        if (!p.sock) continue;
        bool take = !p.sock_done && conn_.output().size() + conn_.held() < kHighWater;
        fds.push_back({p.sock.get(), static_cast<short>((take ? POLLIN : 0) | (p.to_sock.empty() ? 0 : POLLOUT)), 0});
        keys.push_back(k);
      }
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return fail_sys("poll");
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(client_, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
        if (n > 0) {
          if (auto r = on_client(std::string_view(buf, static_cast<size_t>(n))); !r) {
            flush();
            return r;
          }
        }
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        auto it = pairs_.find(keys[i - 1]);
        if (it == pairs_.end() || !it->second.sock) continue;
        auto& p = it->second;
        if (fds[i].revents & POLLOUT) write_sock(p);
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR) && !p.sock_done) {
          ssize_t n = read(p.sock.get(), buf, sizeof buf);
          if (n > 0) {
            conn_.send(p.data_id, std::string_view(buf, static_cast<size_t>(n)));
          } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            p.sock_done = true;
            conn_.send(p.data_id, "", true);
          }
        }
        maybe_close(it->first);
      }
      if (!flush()) break;
    }
    return {};
  }

 private:
  bool flush() { return send_pending(client_, conn_); }

  void write_sock(Pair& p) {
    while (!p.to_sock.empty()) {
      ssize_t n = ::send(p.sock.get(), p.to_sock.data(), p.to_sock.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) {  // the pod's side is gone: what the client sends is dropped
        p.to_sock.clear();
        p.client_done = true;
        break;
      }
      conn_.consumed(p.data_id, static_cast<size_t>(n));
      p.to_sock.erase(0, static_cast<size_t>(n));
    }
    if (p.to_sock.empty() && p.client_done && !p.shut_wr) {
      shutdown(p.sock.get(), SHUT_WR);
      p.shut_wr = true;
    }
  }

  void maybe_close(const std::string& key) {
    auto it = pairs_.find(key);
    if (it == pairs_.end()) return;
    auto& p = it->second;
    if (p.sock && p.sock_done && p.client_done && p.to_sock.empty()) {
      conn_.send(p.error_id, "", true);
      pairs_.erase(it);
    }
  }

  Result<> on_client(std::string_view bytes) {
    auto events = conn_.feed(bytes);
    if (!events) return fail(events.error());
    for (auto& e : *events) {
      switch (e.kind) {
        case spdy::Event::Opened: opened(e); break;
        case spdy::Event::Data:
          if (auto it = by_stream_.find(e.stream_id); it != by_stream_.end()) {
            auto p = pairs_.find(it->second);
            if (p != pairs_.end() && p->second.data_id == e.stream_id) {
              p->second.to_sock += e.data;
              if (p->second.sock) write_sock(p->second);
              break;
            }
          }
          conn_.consumed(e.stream_id, e.data.size());  // error-stream bytes from the client: unused
          break;
        case spdy::Event::RemoteClosed:
          if (auto it = by_stream_.find(e.stream_id); it != by_stream_.end()) {
            auto p = pairs_.find(it->second);
            if (p != pairs_.end() && p->second.data_id == e.stream_id) {
              p->second.client_done = true;
              if (p->second.sock) write_sock(p->second);
              maybe_close(it->second);
            }
          }
          break;
        case spdy::Event::Reset:
          if (auto it = by_stream_.find(e.stream_id); it != by_stream_.end()) {
            auto p = pairs_.find(it->second);
            if (p != pairs_.end()) {
              if (p->second.error_id && p->second.error_id != e.stream_id) conn_.reset(p->second.error_id, spdy::kRstCancel);
              if (p->second.data_id && p->second.data_id != e.stream_id) conn_.reset(p->second.data_id, spdy::kRstCancel);
              pairs_.erase(p);
            }
            by_stream_.erase(it);
          }
          break;
        case spdy::Event::GoAway: done_ = true; break;
      }
    }
    return {};
  }

  void opened(spdy::Event& e) {
    std::string type = spdy::header_value(e.headers, "streamtype");
    std::string req = spdy::header_value(e.headers, "requestid");
    auto port = parse_port(spdy::header_value(e.headers, "port"));
    if ((type != "error" && type != "data") || req.empty()) {
      log::warn("port-forward: refused stream " + std::to_string(e.stream_id) + " (streamType '" + type +
                "', requestID '" + req + "')");
      conn_.reset(e.stream_id, spdy::kRstProtocolError);
      return;
    }
    auto& p = pairs_[req];
    uint32_t& slot = type == "error" ? p.error_id : p.data_id;
    if (slot) {
      conn_.reset(e.stream_id, spdy::kRstProtocolError);
      return;
    }
    slot = e.stream_id;
    by_stream_[e.stream_id] = req;
    (void)conn_.reply(e.stream_id);
    if (p.failed) {
      conn_.send(e.stream_id, "", true);
      pairs_.erase(req);
      return;
    }
    if (!port) {
      fail_pair(req, port.error().what());
      return;
    }
    if (p.port && p.port != *port) {
      fail_pair(req, "the error and data streams of request " + req + " name different ports");
      return;
    }
    p.port = *port;
    if (!p.error_id || !p.data_id) return;
    auto sock = dial_(p.port);
    if (!sock) {
      fail_pair(req, "error forwarding port " + std::to_string(p.port) + ": " + sock.error().what());
      return;
    }
    p.sock = std::move(*sock);
    set_nonblocking(p.sock.get());
    write_sock(p);
  }

  // The failure as text on the error stream, then both streams end.
  void fail_pair(const std::string& req, const std::string& message) {
    auto it = pairs_.find(req);
    if (it == pairs_.end()) return;
    auto& p = it->second;
    if (p.error_id) conn_.send(p.error_id, message, true);
    if (p.data_id) conn_.send(p.data_id, "", true);
    p.failed = true;
    if (p.error_id && p.data_id) pairs_.erase(it);
  }

  int client_;
  Dialer dial_;
  spdy::Connection conn_;
  std::map<std::string, Pair> pairs_;  // by requestID
  std::map<uint32_t, std::string> by_stream_;
  bool done_ = false;
};

}  // namespace

Result<UniqueFd> dial_in_netns(const std::string& netns_path, uint16_t port) {
  if (netns_path.empty()) return connect_localhost(port);
  UniqueFd ns(open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) return fail_sys("open network namespace " + netns_path, ErrorKind::NotFound);
  Result<UniqueFd> r = fail(ErrorKind::Internal, "dial thread did not run");
  // A thread of its own enters the namespace and ends there: no other thread ever changes netns.
  std::thread t([&] {
    if (unshare(CLONE_FS) != 0 || setns(ns.get(), CLONE_NEWNET) != 0) {
      r = fail_sys("enter network namespace " + netns_path);
      return;
    }
    r = connect_localhost(port);
  });
  t.join();
  return r;
}

Result<> serve_port_forward_spdy(int client, std::string early, Dialer dial) {
  Forwarder f(client, std::move(dial));
  return f.run(std::move(early));
}

}  // namespace berth::cri::streaming
