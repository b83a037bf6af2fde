#include "api/connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <limits>
#include <thread>
#include <type_traits>

#include "api/api_version.hpp"
#include "api/response.hpp"
#include "common/log.hpp"

namespace berth::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Socket = asio::generic::stream_protocol::socket;
using Parser = http::request_parser<http::buffer_body>;

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

void parse_target(std::string_view target, std::string& path, std::multimap<std::string, std::string>& query) {
  auto q = target.find('?');
  path = url_decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto kv = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    query.emplace(url_decode(kv.substr(0, eq), true),
                  eq == std::string_view::npos ? "" : url_decode(kv.substr(eq + 1), true));
  }
}

namespace {

// One request on the connection: the Exchange that handlers see. Stream is the plain socket
// or a TLS stream over it; fd is the socket underneath either.
template <class Stream>
class Conn final : public Exchange {
 public:
  Conn(Stream& sock, int fd, beast::flat_buffer& buf, Parser& parser, const ServerOptions& opts)
      : sock_(sock), fd_(fd), buf_(buf), parser_(parser), opts_(opts) {
    keep_alive_ = parser_.get().keep_alive();
  }

  Request& request() override { return req_; }
  bool responded() const override { return responded_; }
  bool keep_alive() const { return keep_alive_ && !hijacked_ && parser_.is_done(); }
  bool hijacked() const { return hijacked_; }
  bool streaming_open() const { return streaming_ && !finished_; }
  // A stream that failed midway must not end with the last chunk: the client would take a
  // truncated archive for a whole one. The connection is closed instead.
  void abort() {
    aborted_ = true;
    keep_alive_ = false;
  }
  bool aborted() const { return aborted_; }

  Result<size_t> read_body_some(char* data, size_t n) override {
    if (n == 0) return size_t{0};
    continue_if_expected();
    while (!parser_.is_done()) {
      parser_.get().body().data = data;
      parser_.get().body().size = n;
      beast::error_code ec;
      http::read(sock_, buf_, parser_, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        keep_alive_ = false;
        return fail(ErrorKind::Invalid, "read request body: " + ec.message());
      }
      size_t got = n - parser_.get().body().size;
      if (got > 0) return got;
    }
    return size_t{0};
  }

  Result<std::string> read_body(size_t limit) override {
    std::string body;
    char chunk[16384];
    while (true) {
      size_t n = BERTH_TRY(read_body_some(chunk, sizeof chunk), "");
      if (n == 0) return body;
      if (body.size() + n > limit) {
        keep_alive_ = false;
        return fail(ErrorKind::Invalid, "request body exceeds the limit of " + std::to_string(limit) + " bytes");
      }
      body.append(chunk, n);
    }
  }

  Result<> reply(int status, std::string_view content_type, std::string_view body,
                 const std::map<std::string, std::string>& extra) override {
    if (responded_) return fail(ErrorKind::Internal, "response already sent");
    responded_ = true;
    http::response<http::string_body> res{static_cast<http::status>(status), parser_.get().version()};
    add_common(res);
    for (auto& [k, v] : extra) res.set(k, v);
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive());
    res.body() = std::string(body);
    res.prepare_payload();
    beast::error_code ec;
    http::write(sock_, res, ec);
    if (ec) {
      keep_alive_ = false;
      return fail(ErrorKind::Unavailable, "write response: " + ec.message());
    }
    return {};
  }

  Result<> start_stream(int status, std::string_view content_type) override {
    return start_stream_with_headers(status, content_type, {});
  }

  Result<> start_stream_with_headers(int status, std::string_view content_type,
                                     const std::map<std::string, std::string>& extra) override {
    if (responded_) return fail(ErrorKind::Internal, "response already sent");
    responded_ = streaming_ = true;
    // The rest of a request body cannot be read after we answer; the connection ends then.
    http::response<http::empty_body> res{static_cast<http::status>(status), parser_.get().version()};
    add_common(res);
    for (auto& [k, v] : extra) res.set(k, v);
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(sock_, sr, ec);
    return check(ec, "write response header");
  }

  Result<> write(std::string_view data) override {
    if (!streaming_ || finished_) return fail(ErrorKind::Internal, "no stream open");
    if (data.empty()) return {};  // an empty chunk would end the stream
    beast::error_code ec;
    asio::write(sock_, http::make_chunk(asio::const_buffer(data.data(), data.size())), ec);
    return check(ec, "write response");
  }

  Result<> finish_stream() override {
    if (!streaming_ || finished_) return {};
    finished_ = true;
    beast::error_code ec;
    asio::write(sock_, http::make_chunk_last(), ec);
    return check(ec, "finish response");
  }

  WaitResult wait(int fd, int timeout_ms) override {
    pollfd p[2] = {{fd_, POLLRDHUP, 0}, {fd, POLLIN, 0}};
    int r = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
    if (r == 0) return WaitResult::Timeout;
    if (r < 0) return errno == EINTR ? WaitResult::Timeout : WaitResult::ClientGone;
    if (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR)) return WaitResult::ClientGone;
    return WaitResult::Ready;
  }

  Result<Hijacked> hijack(std::string_view content_type) override {
    if (responded_) return fail(ErrorKind::Internal, "response already sent");
    responded_ = hijacked_ = true;
    std::string head;
    if (!req_.header("upgrade").empty())
      head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + std::string(content_type) +
             "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n";
    else
      head = "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(content_type) + "\r\n";
    head += "Api-Version: " + std::string(kMaxApiVersion) + "\r\n\r\n";
    beast::error_code ec;
    asio::write(sock_, asio::buffer(head), ec);
    BERTH_CHECK(check(ec, "hijack"), "");
    // The raw stream has no idle limit: an attached shell may sit quiet for hours.
    timeval tv{};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Hijacked h;
    if constexpr (std::is_same_v<Stream, Socket>) {
      int fd = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return fail_sys("hijack: dup");
      h.fd = UniqueFd(fd);
    } else {
      // Over TLS the handler gets one end of a socket pair; a relay thread carries the bytes
      // between it and the encrypted connection until either side is done.
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_sys("hijack: socketpair");
      h.fd = UniqueFd(sv[1]);
      relay_ = std::thread([this, local = UniqueFd(sv[0])]() mutable { tls_relay(std::move(local)); });
    }
    auto pending = buf_.data();
    h.pending.assign(static_cast<const char*>(pending.data()), pending.size());
    buf_.consume(buf_.size());
    return h;
  }

  ~Conn() override {
    if (relay_.joinable()) relay_.join();
  }

 private:
  // Copies decrypted client bytes to local and local's bytes back through TLS. Ends when the
  // handler closes its end; a client that stops sending half-closes local.
  void tls_relay(UniqueFd local) {
    if constexpr (!std::is_same_v<Stream, Socket>) {
      char buf[16384];
      bool client_open = true;
      while (true) {
        // Records OpenSSL has read but not processed are not on the socket any more.
        bool from_client = client_open && SSL_has_pending(sock_.native_handle());
        if (!from_client) {
          pollfd p[2] = {{client_open ? fd_ : -1, POLLIN, 0}, {local.get(), POLLIN, 0}};
          if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
          }
          if (p[1].revents) {
            ssize_t n = ::read(local.get(), buf, sizeof buf);
            if (n <= 0) return;  // the handler is done
            beast::error_code ec;
            asio::write(sock_, asio::buffer(buf, static_cast<size_t>(n)), ec);
            if (ec) return;
          }
          from_client = client_open && p[0].revents;
        }
        if (!from_client) continue;
        beast::error_code ec;
        size_t n = sock_.read_some(asio::buffer(buf), ec);
        if (ec || n == 0) {
          client_open = false;
          shutdown(local.get(), SHUT_WR);
          continue;
        }
        for (size_t off = 0; off < n;) {
          ssize_t w = send(local.get(), buf + off, n - off, MSG_NOSIGNAL);
          if (w <= 0) return;
          off += static_cast<size_t>(w);
        }
      }
    }
  }

  template <class Msg>
  void add_common(Msg& res) {
    // What dockerd sets on every response; clients read API-Version to negotiate.
    res.set("Api-Version", std::string(kMaxApiVersion));
    res.set("Docker-Experimental", "false");
    res.set("Ostype", "linux");
    res.set(http::field::server, opts_.server_header);
  }
  Result<> check(const beast::error_code& ec, const char* what) {
    if (!ec) return {};
    keep_alive_ = false;
    return fail(ErrorKind::Unavailable, std::string(what) + ": " + ec.message());
  }
  void continue_if_expected() {
    if (continued_) return;
    continued_ = true;
    if (beast::iequals(parser_.get()[http::field::expect], "100-continue")) {
      beast::error_code ec;
      asio::write(sock_, asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), ec);
    }
  }

  Stream& sock_;
  int fd_;
  beast::flat_buffer& buf_;
  Parser& parser_;
  const ServerOptions& opts_;
  Request req_;
  bool responded_ = false, streaming_ = false, finished_ = false, hijacked_ = false;
  bool keep_alive_ = true, continued_ = false, aborted_ = false;
  std::thread relay_;
};

void fill_request(Request& req, const Parser& parser) {
  const auto& msg = parser.get();
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& f : msg) {
    std::string k(f.name_string());
    for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[k] = std::string(f.value());
  }
  std::string path;
  parse_target(req.target, path, req.query);
  auto vp = split_version(path);
  req.path = vp.path;
  req.api_version = vp.version;
}

template <class Stream>
void dispatch(Conn<Stream>& c, const Router& router) {
  Request& req = c.request();
  log::debug("Calling " + req.method + " " + req.target);
  auto served = negotiate_version(req.api_version);
  if (!served) {
    (void)reply_error(c, served.error());
    return;
  }
  req.api_version = *served;
  auto m = router.match(req.method, req.path);
  // dockerd answers HEAD /_ping; other HEADs fall back to the GET route like Go's mux does not.
  if (!m.handler) {
    if (m.path_known)
      (void)reply_error(c, 405, "method " + req.method + " not allowed for " + req.path);
    else
      (void)reply_error(c, 404, "page not found");
    return;
  }
  req.params = std::move(m.params);
  Result<> r;
  try {
    r = (*m.handler)(c);
  } catch (const std::exception& e) {
    r = fail(ErrorKind::Internal, std::string("internal error: ") + e.what());
  }
  if (r) return;
  if (!c.responded())
    (void)reply_error(c, r.error());
  else {
    log::warn(req.method + " " + req.path + ": " + r.error().what());
    if (c.streaming_open()) c.abort();
  }
}

// Requests on one connection until it closes, a response ends it, or a handler hijacks it.
template <class Stream>
void serve_requests(Stream& stream, int fd, const Router& router, const ServerOptions& opts) {
  beast::flat_buffer buf;
  while (true) {
    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // handlers set their own limits
    beast::error_code ec;
    http::read_header(stream, buf, parser, ec);
    if (ec == http::error::header_limit) {
      std::string r = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\nContent-Length: ";
      std::string body = error_body("request headers exceed the limit of " + std::to_string(opts.header_limit) + " bytes");
      r += std::to_string(body.size()) + "\r\n\r\n" + body;
      asio::write(stream, asio::buffer(r), ec);
      return;
    }
    if (ec) return;  // closed, timed out, or not HTTP
    Conn<Stream> c(stream, fd, buf, parser, opts);
    fill_request(c.request(), parser);
    dispatch(c, router);
    if (c.hijacked() || c.aborted()) return;
    if (c.streaming_open() && !c.finish_stream()) return;
    if (!c.responded() || !c.keep_alive()) return;
  }
}

}  // namespace

struct TlsContext {
  asio::ssl::context ctx{asio::ssl::context::tls_server};
};

Result<std::shared_ptr<TlsContext>> make_tls_context(const TlsOptions& tls) {
  auto t = std::make_shared<TlsContext>();
  beast::error_code ec;
  t->ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                     ec);
  auto check = [&](const std::string& what) -> Result<> {
    if (ec) return fail(ErrorKind::Invalid, "TLS: " + what + ": " + ec.message());
    return {};
  };
  if (tls.cert.empty() || tls.key.empty()) return fail(ErrorKind::Invalid, "TLS: --tlscert and --tlskey are required");
  t->ctx.use_certificate_chain_file(tls.cert, ec);
  BERTH_CHECK(check("certificate " + tls.cert), "");
  t->ctx.use_private_key_file(tls.key, asio::ssl::context::pem, ec);
  BERTH_CHECK(check("key " + tls.key), "");
  if (tls.verify) {
    // Mutual TLS: only clients holding a certificate signed by the CA get in.
    if (tls.ca.empty()) return fail(ErrorKind::Invalid, "TLS: --tlsverify needs --tlscacert");
    t->ctx.load_verify_file(tls.ca, ec);
    BERTH_CHECK(check("CA " + tls.ca), "");
    t->ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
    BERTH_CHECK(check("verify mode"), "");
  }
  return t;
}

void serve_connection(int fd, const Router& router, const ServerOptions& opts, TlsContext* tls) {
  // Idle connections (and clients that stall mid-request or mid-handshake) are dropped.
  timeval tv{opts.idle_timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return;
  try {
    asio::io_context ioc;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    Socket sock(ioc, asio::generic::stream_protocol(ss.ss_family, 0), own);
    if (!tls) return serve_requests(sock, fd, router, opts);
    asio::ssl::stream<Socket&> stream(sock, tls->ctx);
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::server, ec);
    if (ec) {
      log::debug("TLS handshake: " + ec.message());
      return;
    }
    serve_requests(stream, fd, router, opts);
    // Our close_notify, without waiting for the client's: asio's synchronous reads poll without
    // a timeout once a receive timeout expires, so a peer that never answers would hold this
    // thread for good.
    SSL_shutdown(stream.native_handle());
  } catch (const std::exception& e) {
    log::warn(std::string("connection: ") + e.what());
  }
}

}  // namespace berth::api
