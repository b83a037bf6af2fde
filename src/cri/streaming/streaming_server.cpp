#include "cri/streaming/streaming_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "common/text.hpp"
#include "cri/streaming/port_forward.hpp"
#include "cri/streaming/remote_command_ws.hpp"
#include "cri/streaming/token_cache.hpp"
#include "cri/streaming/ws_frame.hpp"

namespace berth::cri::streaming {

namespace http = boost::beast::http;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr auto kHeaderTimeout = std::chrono::seconds(30);

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Every value of a header that may repeat or hold a comma-separated list.
std::vector<std::string> list_values(const http::request<http::empty_body>& req, std::string_view name) {
  std::vector<std::string> out;
  for (auto it = req.find(name); it != req.end() && boost::beast::iequals(it->name_string(), name); ++it) {
    std::string_view v(it->value().data(), it->value().size());
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      std::string item = trim(v.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
      if (!item.empty()) out.push_back(item);
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

bool send_text(int fd, int status, const std::string& reason, const std::string& body) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nConnection: close\r\n\r\n" + body;
  return send_all(fd, r);
}

int http_status(const Error& e) {
  switch (e.kind) {
    case ErrorKind::NotFound: return 404;
    case ErrorKind::Invalid: return 400;
    case ErrorKind::Conflict: return 409;
    case ErrorKind::Unavailable: return 503;
    default: return 500;
  }
}

std::string reason_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

// The first of the client's protocols that the server speaks (the client's order wins, as in
// k8s.io/apimachinery's httpstream.Handshake).
std::string negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server) {
  for (auto& c : client)
    for (auto& s : server)
      if (c == s) return c;
  return "";
}

}  // namespace

Result<UniqueFd> StreamingRuntime::dial(const PortForwardRequest& r, uint16_t port) { return dial_in_netns(r.netns_path, port); }

struct StreamingServer::Impl {
  StreamingConfig config;
  StreamingRuntime& runtime;
  TokenCache tokens;
  UniqueFd listener, wake;
  uint16_t port = 0;
  std::thread acceptor;
  std::mutex mu;
  bool stopping = false;
  std::map<int, std::thread> sessions;  // by client fd, under mu
  std::vector<std::thread> finished;    // sessions that ended, to join, under mu
  std::condition_variable ended;        // a session moved itself to finished

  Impl(const StreamingConfig& c, StreamingRuntime& r) : config(c), runtime(r), tokens(c.token_ttl) {}

  Result<std::string> url(const char* kind, StreamRequest r) {
    auto token = BERTH_TRY(tokens.insert(std::move(r)), "");
    return "http://" + config.address + ":" + std::to_string(port) + "/" + kind + "/" + token;
  }

  void accept_loop() {
    while (true) {
      pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        log::error("streaming server: poll: " + std::string(strerror(errno)));
        return;
      }
      if (fds[1].revents) return;
      int c = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::lock_guard lk(mu);
      for (auto& t : finished) t.join();
      finished.clear();
      if (stopping) {
        close(c);
        return;
      }
      sessions.emplace(c, std::thread([this, c] { serve_connection(c); }));
    }
  }

  void serve_connection(int fd) {
    handle(fd);
    std::lock_guard lk(mu);
    auto it = sessions.find(fd);
    if (it != sessions.end()) {
      finished.push_back(std::move(it->second));
      sessions.erase(it);
    }
    // Closed only once out of the map: the next accept may reuse the number as its key.
    close(fd);
    ended.notify_all();
  }

  // Reads the request head (bounded in size and time); "" and false when it never came whole.
  bool read_head(int fd, http::request_parser<http::empty_body>& parser, std::string& early) {
    parser.header_limit(kHeaderLimit);
    parser.eager(false);
    std::string buf;
    auto deadline = std::chrono::steady_clock::now() + kHeaderTimeout;
    char chunk[4096];
    while (!parser.is_header_done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      boost::beast::error_code ec;
      size_t used = parser.put(boost::asio::buffer(buf.data(), buf.size()), ec);
      if (ec && ec != http::error::need_more) {
        send_text(fd, 400, "Bad Request", "malformed request: " + ec.message());
        return false;
      }
      buf.erase(0, used);
    }
    early = std::move(buf);
    return true;
  }

  void handle(int fd) {
    http::request_parser<http::empty_body> parser;
    std::string early;
    if (!read_head(fd, parser, early)) return;
    auto& req = parser.get();
    if (req.method() != http::verb::get && req.method() != http::verb::post) {
      send_text(fd, 405, "Method Not Allowed", "method not allowed\n");
      return;
    }
    std::string target(req.target());
    target = target.substr(0, target.find('?'));
    size_t slash = target.find('/', 1);
    std::string kind = slash == std::string::npos ? "" : target.substr(1, slash - 1);
    std::string token = slash == std::string::npos ? "" : target.substr(slash + 1);
    if (kind != "exec" && kind != "attach" && kind != "portforward") {
      send_text(fd, 404, "Not Found", "404 page not found\n");
      return;
    }
    auto request = tokens.take(token);
    bool kind_matches = request && ((kind == "exec" && std::holds_alternative<ExecRequest>(*request)) ||
                                    (kind == "attach" && std::holds_alternative<AttachRequest>(*request)) ||
                                    (kind == "portforward" && std::holds_alternative<PortForwardRequest>(*request)));
    if (!kind_matches) {
      send_text(fd, 404, "Not Found", "no pending " + kind + " request for this token (unknown, used or expired)\n");
      return;
    }
    // The upgrade: SPDY/3.1 (X-Stream-Protocol-Version), or WebSocket for exec and attach
    // (Sec-WebSocket-Protocol); the subprotocol is the first of the client's that we speak.
    bool upgrade = false;
    for (auto& v : list_values(req, "Connection")) upgrade = upgrade || ascii_lower(v) == "upgrade";
    std::string proto_up = ascii_lower(std::string(req[http::field::upgrade]));
    if (!upgrade || proto_up.empty()) {
      send_text(fd, 400, "Bad Request", "unable to upgrade: missing upgrade headers in request\n");
      return;
    }
    bool websocket = proto_up == "websocket";
    if (proto_up != "spdy/3.1" && !(websocket && kind != "portforward")) {
      send_text(fd, 400, "Bad Request", "unable to upgrade: unsupported protocol '" + std::string(req[http::field::upgrade]) +
                                            "' (" + (kind == "portforward" ? "SPDY/3.1" : "SPDY/3.1 or websocket") +
                                            " is spoken)\n");
      return;
    }
    std::string ws_key = std::string(req[http::field::sec_websocket_key]);
    if (websocket && (ws_key.empty() || std::string(req[http::field::sec_websocket_version]) != "13")) {
      send_text(fd, 400, "Bad Request", "unable to upgrade: websocket needs Sec-WebSocket-Key and Sec-WebSocket-Version 13\n");
      return;
    }
    const char* protocol_header = websocket ? "Sec-WebSocket-Protocol" : "X-Stream-Protocol-Version";
    auto client_protocols = list_values(req, protocol_header);
    std::vector<std::string> server_protocols = kind == "portforward" ? std::vector<std::string>{kPortForwardProtocol}
                                                : websocket           ? kRemoteCommandWsProtocols
                                                                      : kRemoteCommandProtocols;
    if (client_protocols.empty()) {
      send_text(fd, 400, "Bad Request", std::string("unable to upgrade: ") + protocol_header + " is required\n");
      return;
    }
    std::string protocol = negotiate(client_protocols, server_protocols);
    if (protocol.empty()) {
      send_text(fd, 403, "Forbidden",
                "unable to upgrade: unable to negotiate protocol: client supports [" + join(client_protocols) +
                    "], server accepts [" + join(server_protocols) + "]\n");
      return;
    }
    // What the request runs is found before the 101, so a vanished container is an HTTP error.
    std::optional<Process> process;
    StreamOptions opts;
    if (auto* e = std::get_if<ExecRequest>(&*request)) {
      auto p = runtime.exec(*e);
      if (!p) {
        int st = http_status(p.error());
        send_text(fd, st, reason_of(st), p.error().what() + "\n");
        return;
      }
      process = std::move(*p);
      if (process->cmd.empty()) process->cmd = e->cmd;
      opts = {e->stdin, e->stdout, e->stderr, e->tty};
    } else if (auto* a = std::get_if<AttachRequest>(&*request)) {
      auto p = runtime.attach(*a);
      if (!p) {
        int st = http_status(p.error());
        send_text(fd, st, reason_of(st), p.error().what() + "\n");
        return;
      }
      process = std::move(*p);
      opts = {a->stdin, a->stdout, a->stderr, a->tty};
    }
    std::string reply = websocket ? "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                                    "Sec-WebSocket-Accept: " + ws::accept_key(ws_key) +
                                        "\r\nSec-WebSocket-Protocol: " + protocol + "\r\n\r\n"
                                  : "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                                    "X-Stream-Protocol-Version: " + protocol + "\r\n\r\n";
    if (!send_all(fd, reply)) return;
    Result<> r;
    if (process && websocket) {
      r = serve_remote_command_ws(fd, std::move(early), protocol, opts, std::move(*process));
    } else if (process) {
      r = serve_remote_command_spdy(fd, std::move(early), protocol, opts, std::move(*process), config.limits);
    } else {
      auto pf = std::get<PortForwardRequest>(*request);
      r = serve_port_forward_spdy(fd, std::move(early), [this, pf](uint16_t port) { return runtime.dial(pf, port); });
    }
    if (!r) log::warn("streaming " + kind + ": " + r.error().what());
  }
};

StreamingServer::StreamingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<StreamingServer>> StreamingServer::start(const StreamingConfig& config, StreamingRuntime& runtime) {
  auto impl = std::make_unique<Impl>(config, runtime);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(config.port);
  if (inet_pton(AF_INET, config.address.c_str(), &a.sin_addr) != 1)
    return fail(ErrorKind::Invalid, "streaming server address '" + config.address + "' is not an IPv4 address");
  impl->listener = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!impl->listener) return fail_sys("streaming server: socket");
  int one = 1;
  setsockopt(impl->listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string where = config.address + ":" + std::to_string(config.port);
  if (bind(impl->listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return fail_sys("streaming server: listen on " + where, ErrorKind::Unavailable);
  if (listen(impl->listener.get(), 128) != 0) return fail_sys("streaming server: listen on " + where);
  socklen_t len = sizeof a;
  getsockname(impl->listener.get(), reinterpret_cast<sockaddr*>(&a), &len);
  impl->port = ntohs(a.sin_port);
  impl->wake = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->wake) return fail_sys("streaming server: eventfd");
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->accept_loop(); });
  return std::unique_ptr<StreamingServer>(new StreamingServer(std::move(impl)));
}

StreamingServer::~StreamingServer() {
  uint64_t one = 1;
  (void)!write(impl_->wake.get(), &one, sizeof one);
  impl_->acceptor.join();
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = true;
    for (auto& [fd, t] : impl_->sessions) shutdown(fd, SHUT_RDWR);  // their loops see EOF and end
  }
  // Sessions remove themselves once their connection ends; wait for all, then join them.
  std::vector<std::thread> done;
  {
    std::unique_lock lk(impl_->mu);
    impl_->ended.wait(lk, [&] { return impl_->sessions.empty(); });
    done.swap(impl_->finished);
  }
  for (auto& t : done) t.join();
}

std::string StreamingServer::base_url() const { return "http://" + impl_->config.address + ":" + std::to_string(impl_->port); }

Result<std::string> StreamingServer::get_exec(const ExecRequest& r) {
  if (r.container_id.empty()) return fail(ErrorKind::Invalid, "missing required container_id");
  if (r.cmd.empty()) return fail(ErrorKind::Invalid, "missing required cmd");
  if (r.tty && r.stderr) return fail(ErrorKind::Invalid, "tty and stderr cannot both be true");
  if (!r.stdin && !r.stdout && !r.stderr) return fail(ErrorKind::Invalid, "one of stdin, stdout, or stderr must be set");
  return impl_->url("exec", r);
}

Result<std::string> StreamingServer::get_attach(const AttachRequest& r) {
  if (r.container_id.empty()) return fail(ErrorKind::Invalid, "missing required container_id");
  if (r.tty && r.stderr) return fail(ErrorKind::Invalid, "tty and stderr cannot both be true");
  if (!r.stdin && !r.stdout && !r.stderr) return fail(ErrorKind::Invalid, "one of stdin, stdout, and stderr must be set");
  return impl_->url("attach", r);
}

Result<std::string> StreamingServer::get_port_forward(const PortForwardRequest& r) {
  if (r.pod_sandbox_id.empty()) return fail(ErrorKind::Invalid, "missing required pod_sandbox_id");
  return impl_->url("portforward", r);
}

}  // namespace berth::cri::streaming
