#include "api/http_client.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <nlohmann/json.hpp>

#include "api/api_version.hpp"
#include "api/server.hpp"

namespace berth::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<ApiClient> ApiClient::open(const std::string& host, ClientTls tls) {
  auto h = BERTH_TRY(parse_host(host), "");
  ApiClient c;
  c.tls_ = std::move(tls);
  if (c.tls_.enabled && h.kind == HostAddress::Kind::Unix)
    return fail(ErrorKind::Invalid, "TLS is for tcp:// hosts, not " + host);
  if (h.kind == HostAddress::Kind::Unix) {
    c.kind_ = "unix";
    c.address_ = h.path;
  } else {
    c.kind_ = "tcp";
    c.address_ = h.host;
    c.port_ = h.port;
  }
  return c;
}

namespace {

Error io_error(const std::string& what, const beast::error_code& ec) {
  return make_error(ErrorKind::Unavailable, what + ": " + ec.message());
}

}  // namespace

namespace {

// One request and its response on an open stream (plain socket or TLS over it).
template <class Stream>
Result<ClientResponse> exchange(Stream& sock, const std::string& method, const std::string& target,
                                const BodySource& body, const BodySink& sink,
                                const std::map<std::string, std::string>& headers) {
  beast::error_code ec;
  http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "api.berth");
  req.set(http::field::user_agent, "berth-cli");
  for (auto& [k, v] : headers) req.set(k, v);
  req.keep_alive(false);
  if (body) req.chunked(true);
  else req.content_length(0);
  http::request_serializer<http::empty_body> sr{req};
  http::write_header(sock, sr, ec);
  if (ec) return fail(io_error("send request", ec));
  if (body) {
    std::string buf(65536, '\0');
    while (true) {
      size_t n = BERTH_TRY(body(buf.data(), buf.size()), "");
      if (n == 0) break;
      asio::write(sock, http::make_chunk(asio::buffer(buf.data(), n)), ec);
      if (ec) return fail(io_error("send request body", ec));
    }
    asio::write(sock, http::make_chunk_last(), ec);
    if (ec) return fail(io_error("send request body", ec));
  }

  beast::flat_buffer fb;
  http::response_parser<http::buffer_body> p;
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(sock, fb, p, ec);
  if (ec) return fail(io_error("read response", ec));
  ClientResponse r;
  r.status = static_cast<int>(p.get().result_int());
  for (auto& f : p.get()) {
    std::string k(f.name_string());
    for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers[k] = std::string(f.value());
  }
  bool to_sink = sink && r.status >= 200 && r.status < 300;
  char buf[65536];
  while (!p.is_done()) {
    p.get().body().data = buf;
    p.get().body().size = sizeof buf;
    http::read(sock, fb, p, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::end_of_stream || ec == asio::error::eof) break;  // close-delimited body
    if (ec) return fail(io_error("read response", ec));
    size_t n = sizeof buf - p.get().body().size;
    if (n == 0) continue;
    if (to_sink) {
      if (!sink(std::string_view(buf, n))) break;
    } else {
      r.body.append(buf, n);
    }
  }
  return r;
}

Result<> configure_tls(asio::ssl::context& ctx, const ClientTls& tls) {
  beast::error_code ec;
  auto check = [&](const std::string& what) -> Result<> {
    if (ec) return fail(ErrorKind::Invalid, "TLS: " + what + ": " + ec.message());
    return {};
  };
  if (tls.verify) {
    if (tls.ca.empty()) ctx.set_default_verify_paths(ec);
    else ctx.load_verify_file(tls.ca, ec);
    BERTH_CHECK(check("CA " + tls.ca), "");
    ctx.set_verify_mode(asio::ssl::verify_peer, ec);
  } else {
    ctx.set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (!tls.cert.empty()) {
    ctx.use_certificate_chain_file(tls.cert, ec);
    BERTH_CHECK(check("certificate " + tls.cert), "");
    ctx.use_private_key_file(tls.key, asio::ssl::context::pem, ec);
    BERTH_CHECK(check("key " + tls.key), "");
  }
  return {};
}

}  // namespace

Result<ClientResponse> ApiClient::stream(const std::string& method, const std::string& path, const BodySource& body,
                                         const BodySink& sink, const std::map<std::string, std::string>& headers) {
  asio::io_context ioc;
  beast::error_code ec;
  // A generic socket serves both families; sync calls need no running io_context.
  asio::generic::stream_protocol::socket sock(ioc);
  std::string where;
  if (kind_ == "unix") {
    asio::local::stream_protocol::endpoint ep(address_);
    sock.connect(asio::generic::stream_protocol::endpoint(ep), ec);
    where = "unix://" + address_;
  } else {
    asio::ip::tcp::endpoint ep(asio::ip::make_address(address_, ec), static_cast<unsigned short>(port_));
    if (!ec) sock.connect(asio::generic::stream_protocol::endpoint(ep), ec);
    where = "tcp://" + address_ + ":" + std::to_string(port_);
  }
  if (ec)
    return fail(ErrorKind::Unavailable, "Cannot connect to the berth daemon at " + where + ". Is the daemon running?");
  std::string target = (version_.empty() ? "" : "/v" + version_) + path;
  if (!tls_.enabled) return exchange(sock, method, target, body, sink, headers);

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  BERTH_CHECK(configure_tls(ctx, tls_), "");
  asio::ssl::stream<asio::generic::stream_protocol::socket&> stream(sock, ctx);
  if (tls_.verify) stream.set_verify_callback(asio::ssl::host_name_verification(address_));
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return fail(ErrorKind::Unavailable, "TLS handshake with " + where + ": " + ec.message());
  auto r = exchange(stream, method, target, body, sink, headers);
  stream.shutdown(ec);
  return r;
}

Result<ClientResponse> ApiClient::call(const std::string& method, const std::string& path, const std::string& body,
                                       const std::map<std::string, std::string>& headers) {
  if (body.empty()) return stream(method, path, {}, {}, headers);
  auto h = headers;
  if (!h.count("Content-Type")) h["Content-Type"] = "application/json";
  bool sent = false;
  return stream(
      method, path,
      [&](char* buf, size_t n) -> Result<size_t> {
        // One chunk with the whole (small) body.
        if (sent) return size_t{0};
        sent = true;
        std::string_view b = body;
        if (b.size() > n) return fail(ErrorKind::Invalid, "request body too large");
        std::copy(b.begin(), b.end(), buf);
        return b.size();
      },
      {}, h);
}

namespace {

Result<ClientHijack> read_hijack_answer(UniqueFd fd) {
  ClientHijack h;
  std::string in;
  char buf[4096];
  size_t end;
  while ((end = in.find("\r\n\r\n")) == std::string::npos) {
    if (in.size() > 64 * 1024) return fail(ErrorKind::Unavailable, "attach: response header too long");
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorKind::Unavailable, "attach: the daemon closed the connection");
    in.append(buf, static_cast<size_t>(n));
  }
  if (in.size() < 12 || in.compare(0, 5, "HTTP/") != 0) return fail(ErrorKind::Unavailable, "attach: not an HTTP answer");
  h.status = std::atoi(in.c_str() + 9);
  std::string head = in.substr(0, end);
  h.pending = in.substr(end + 4);
  if (h.status == 101 || h.status == 200) {
    h.fd = std::move(fd);
    return h;
  }
  // An error answer: its body (Content-Length, or up to EOF).
  std::string lower = head;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t want = std::string::npos;
  if (auto cl = lower.find("content-length:"); cl != std::string::npos) want = std::strtoul(lower.c_str() + cl + 15, nullptr, 10);
  h.body = std::move(h.pending);
  h.pending.clear();
  while (h.body.size() < want) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    h.body.append(buf, static_cast<size_t>(n));
  }
  if (want != std::string::npos && h.body.size() > want) h.body.resize(want);
  return h;
}

// Carries bytes between the local end of a socket pair and the TLS stream until either ends.
struct TlsRelay {
  asio::io_context ioc;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::unique_ptr<asio::generic::stream_protocol::socket> sock;
  std::unique_ptr<asio::ssl::stream<asio::generic::stream_protocol::socket&>> tls;
  UniqueFd local;
  std::thread thread;
  ~TlsRelay() {
    if (thread.joinable()) thread.join();
  }
  void run() {
    int raw = sock->native_handle();
    char buf[16384];
    bool server_open = true, local_open = true;
    while (true) {
      // Records OpenSSL has read but not processed (the last output and the close_notify often
      // come in one segment) are not on the socket any more: poll would never see them.
      bool from_server = server_open && SSL_has_pending(tls->native_handle());
      if (!from_server) {
        pollfd p[2] = {{server_open ? raw : -1, POLLIN, 0}, {local_open ? local.get() : -1, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
          if (errno == EINTR) continue;
          return;
        }
        if (p[1].revents) {
          ssize_t n = ::read(local.get(), buf, sizeof buf);
          if (n < 0 && errno == EINTR) continue;
          beast::error_code ec;
          if (n <= 0) {  // our side is done sending (stdin's EOF) or gone
            if (n < 0 || (p[1].revents & POLLHUP)) return;  // closed, not half-closed: all done
            local_open = false;
            ::shutdown(raw, SHUT_WR);
            continue;
          }
          asio::write(*tls, asio::buffer(buf, static_cast<size_t>(n)), ec);
          if (ec) return;
        }
        from_server = server_open && p[0].revents;
      }
      if (!from_server) continue;
      beast::error_code ec;
      size_t n = tls->read_some(asio::buffer(buf), ec);
      if (ec || n == 0) {
        server_open = false;
        ::shutdown(local.get(), SHUT_WR);
        return;
      }
      for (size_t off = 0; off < n;) {
        ssize_t w = send(local.get(), buf + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) return;
        off += static_cast<size_t>(w);
      }
    }
  }
};

}  // namespace

Result<ClientHijack> ApiClient::hijack(const std::string& path, const std::string& json_body) {
  std::string target = (version_.empty() ? "" : "/v" + version_) + path;
  std::string req = "POST " + target + " HTTP/1.1\r\nHost: api.berth\r\nUser-Agent: berth-cli\r\nContent-Type: " +
                    (json_body.empty() ? "text/plain" : "application/json") +
                    "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: " + std::to_string(json_body.size()) +
                    "\r\n\r\n" + json_body;
  std::string where;
  UniqueFd fd;
  int family = AF_UNIX;
  if (kind_ == "unix") {
    where = "unix://" + address_;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (address_.size() >= sizeof sa.sun_path) return fail(ErrorKind::Invalid, "socket path too long: " + address_);
    std::memcpy(sa.sun_path, address_.c_str(), address_.size() + 1);
    fd = UniqueFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd || connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) fd.reset();
  } else {
    where = "tcp://" + address_ + ":" + std::to_string(port_);
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    if (getaddrinfo(address_.c_str(), std::to_string(port_).c_str(), &hints, &res) == 0 && res) {
      family = res->ai_family;
      fd = UniqueFd(socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!fd || connect(fd.get(), res->ai_addr, res->ai_addrlen) != 0) fd.reset();
      freeaddrinfo(res);
    }
  }
  if (!fd) return fail(ErrorKind::Unavailable, "Cannot connect to the berth daemon at " + where + ". Is the daemon running?");
  if (!tls_.enabled) {
    for (size_t off = 0; off < req.size();) {
      ssize_t n = send(fd.get(), req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail_sys("attach: send request", ErrorKind::Unavailable);
      off += static_cast<size_t>(n);
    }
    return read_hijack_answer(std::move(fd));
  }
  // TLS: the handshake and request here, then a relay thread behind a socket pair.
  auto relay = std::make_shared<TlsRelay>();
  BERTH_CHECK(configure_tls(relay->ctx, tls_), "");
  beast::error_code ec;
  relay->sock = std::make_unique<asio::generic::stream_protocol::socket>(relay->ioc);
  relay->sock->assign(asio::generic::stream_protocol(family, IPPROTO_TCP), fd.release(), ec);
  if (ec) return fail(ErrorKind::Unavailable, "attach: " + ec.message());
  relay->tls = std::make_unique<asio::ssl::stream<asio::generic::stream_protocol::socket&>>(*relay->sock, relay->ctx);
  if (tls_.verify) relay->tls->set_verify_callback(asio::ssl::host_name_verification(address_));
  relay->tls->handshake(asio::ssl::stream_base::client, ec);
  if (ec) return fail(ErrorKind::Unavailable, "TLS handshake with " + where + ": " + ec.message());
  asio::write(*relay->tls, asio::buffer(req), ec);
  if (ec) return fail(ErrorKind::Unavailable, "attach: send request: " + ec.message());
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_sys("attach: socketpair");
  UniqueFd mine(sv[0]);
  relay->local = UniqueFd(sv[1]);
  relay->thread = std::thread([r = relay.get()] { r->run(); });
  auto h = BERTH_TRY(read_hijack_answer(std::move(mine)), "");
  h.relay = relay;
  return h;
}

Result<> ApiClient::negotiate() {
  version_.clear();
  auto r = BERTH_TRY(call("GET", "/_ping"), "");
  std::string theirs = r.headers.count("api-version") ? r.headers["api-version"] : std::string(kMinApiVersion);
  version_ = compare_versions(theirs, kMaxApiVersion) < 0 ? theirs : std::string(kMaxApiVersion);
  return {};
}

std::string error_message(const ClientResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
  std::string b = r.body;
  while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
  return b.empty() ? "status " + std::to_string(r.status) : b;
}

}  // namespace berth::api
