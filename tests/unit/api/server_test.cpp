// The HTTP server on real sockets: routing and errors as dockerd answers them, limits, a
// stalled client not blocking others, the unix socket's mode, TCP only on loopback, and the
// connection hijack carrying multiplexed frames.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/mux_stream.hpp"
#include "echo_attach.hpp"
#include "api/response.hpp"
#include "api/server.hpp"
#include "common/fd.hpp"

using namespace berth;
using namespace berth::api;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    char t[] = "/tmp/berth-api-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

UniqueFd connect_unix(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return UniqueFd();
  return fd;
}

void write_request(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads until `until` appears, or ("" ) until EOF; gives up after 5 s without data.
std::string read_until(int fd, const std::string& until = "") {
  std::string out;
  char buf[4096];
  while (until.empty() || out.find(until) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_all(int fd) { return read_until(fd); }

std::string request(const std::string& sock, const std::string& text) {
  auto fd = connect_unix(sock);
  if (!fd) return "connect failed";
  write_request(fd.get(), text);
  return read_all(fd.get());
}

int status_of(const std::string& resp) {
  if (resp.size() < 12 || !resp.starts_with("HTTP/1.1 ")) return -1;
  return std::stoi(resp.substr(9, 3));
}

std::string body_of(const std::string& resp) {
  auto p = resp.find("\r\n\r\n");
  return p == std::string::npos ? "" : resp.substr(p + 4);
}

Router test_router() {
  Router r;
  r.add("GET", "/hello/{who}", [](Exchange& ex) {
    return ex.reply(200, "text/plain", "hello " + ex.request().param("who") + " at " + ex.request().api_version);
  });
  r.add("POST", "/echo", [](Exchange& ex) -> Result<> {
    auto body = BERTH_TRY(ex.read_body(16), "");
    return ex.reply(200, "text/plain", body);
  });
  r.add("POST", "/json", [](Exchange& ex) -> Result<> {
    auto j = BERTH_TRY(read_json_body(ex, 1024), "");
    return reply_json(ex, 200, j);
  });
  r.add("GET", "/missing", [](Exchange&) -> Result<> { return fail(ErrorKind::NotFound, "No such image: x:latest"); });
  r.add("GET", "/stream", [](Exchange& ex) -> Result<> {
    BERTH_CHECK(ex.start_stream(200, "application/json"), "");
    BERTH_CHECK(ex.write("{\"a\":1}\n"), "");
    BERTH_CHECK(ex.write("{\"b\":2}\n"), "");
    return ex.finish_stream();
  });
  r.add("POST", "/attach", test::echo_attach);
  return r;
}

struct Served {
  TempDir dir;
  std::string sock;
  std::unique_ptr<Server> server;
  explicit Served(ServerOptions opts = {}) {
    sock = dir.path + "/api.sock";
    if (opts.hosts.empty()) opts.hosts = {"unix://" + sock};
    auto s = Server::listen(test_router(), opts);
    EXPECT_TRUE(s) << (s ? "" : s.error().what());
    if (s) {
      server = std::move(*s);
      server->start();
    }
  }
};

}  // namespace

TEST(Server, RoutesWithVersionPrefixAndCommonHeaders) {
  Served s;
  auto r = request(s.sock, "GET /v1.43/hello/you HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_EQ(body_of(r), "hello you at 1.43");
  EXPECT_NE(r.find("Api-Version: 1.50\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("Ostype: linux\r\n"), std::string::npos);
  EXPECT_NE(r.find("Docker-Experimental: false\r\n"), std::string::npos);
  r = request(s.sock, "GET /hello/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(body_of(r), "hello me at 1.50");  // no prefix: the newest version
}

TEST(Server, UnsupportedVersionIsDockerds400) {
  Served s;
  auto r = request(s.sock, "GET /v1.24/hello/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 400);
  EXPECT_EQ(body_of(r),
            "{\"message\":\"client version 1.24 is too old. Minimum supported API version is 1.41, please upgrade "
            "your client to a newer version\"}\n");
  r = request(s.sock, "GET /v1.99/hello/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 400);
  EXPECT_NE(body_of(r).find("client version 1.99 is too new. Maximum supported API version is 1.50"), std::string::npos);
}

TEST(Server, ErrorsAreJsonMessages) {
  Served s;
  auto r = request(s.sock, "GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 404);
  EXPECT_EQ(body_of(r), "{\"message\":\"No such image: x:latest\"}\n");
  EXPECT_NE(r.find("Content-Type: application/json"), std::string::npos);
  r = request(s.sock, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 404);
  EXPECT_EQ(body_of(r), "{\"message\":\"page not found\"}\n");
  r = request(s.sock, "DELETE /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(r), 405);
  r = request(s.sock, "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{bad}");
  EXPECT_EQ(status_of(r), 400);
  EXPECT_NE(body_of(r).find("invalid JSON"), std::string::npos) << r;
}

TEST(Server, KeepAliveServesSeveralRequests) {
  Served s;
  auto fd = connect_unix(s.sock);
  ASSERT_TRUE(fd);
  write_request(fd.get(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  auto first = read_until(fd.get(), "abc");
  EXPECT_EQ(status_of(first), 200);
  write_request(fd.get(), "GET /hello/again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto second = read_all(fd.get());
  EXPECT_EQ(body_of(second), "hello again at 1.50");
}

TEST(Server, ChunkedRequestBodyAndStreamedResponse) {
  Served s;
  auto r = request(s.sock,
                   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
  EXPECT_EQ(body_of(r), "abcde");
  r = request(s.sock, "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(r.find("8\r\n{\"a\":1}\n\r\n"), std::string::npos) << r;
  EXPECT_TRUE(r.ends_with("0\r\n\r\n"));
}

TEST(Server, BodyAndHeaderLimits) {
  ServerOptions o;
  o.header_limit = 1024;
  Served s(o);
  auto r = request(s.sock, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nConnection: close\r\n\r\n" +
                               std::string(40, 'x'));
  EXPECT_EQ(status_of(r), 400);
  EXPECT_NE(body_of(r).find("exceeds the limit of 16 bytes"), std::string::npos) << r;
  r = request(s.sock, "GET /hello/x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_of(r), 431) << r;
}

TEST(Server, StalledClientDoesNotBlockOthers) {
  Served s;
  // Half a request header, then silence.
  auto stalled = connect_unix(s.sock);
  ASSERT_TRUE(stalled);
  write_request(stalled.get(), "GET /hello/slow HTTP/1.1\r\nHo");
  auto stalled_body = connect_unix(s.sock);
  write_request(stalled_body.get(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
  auto t0 = std::chrono::steady_clock::now();
  auto r = request(s.sock, "GET /hello/fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(body_of(r), "hello fast at 1.50");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(Server, StopClosesLiveConnectionsAndRemovesSocket) {
  Served s;
  auto idle = connect_unix(s.sock);
  ASSERT_TRUE(idle);
  write_request(idle.get(), "GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  read_until(idle.get(), "at 1.50");
  auto t0 = std::chrono::steady_clock::now();
  s.server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(read_all(idle.get()), "");  // closed by the server
  EXPECT_FALSE(fs::exists(s.sock));
}

TEST(Server, UnixSocketModeAndStaleFile) {
  TempDir d;
  std::string sock = d.path + "/s.sock";
  {
    // A stale socket file (no listener) is replaced.
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, sock.c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  }
  ServerOptions o;
  o.hosts = {"unix://" + sock};
  auto s = Server::listen(test_router(), o);
  ASSERT_TRUE(s) << s.error().what();
  struct stat st{};
  ASSERT_EQ(stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_uid, 0u);
  // A second server on the same live socket is refused, and leaves the first one's file.
  (*s)->start();
  auto again = Server::listen(test_router(), o);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("another daemon is serving"), std::string::npos);
  EXPECT_TRUE(fs::exists(sock));
}

TEST(Server, TcpOnlyOnLoopbackWithoutTls) {
  ServerOptions o;
  o.hosts = {"tcp://0.0.0.0:0"};
  auto s = Server::listen(test_router(), o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("only served on loopback"), std::string::npos) << s.error().message;
  o.hosts = {"tcp://127.0.0.1:0"};
  o.tls.enabled = o.tls.verify = true;
  s = Server::listen(test_router(), o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("--tlscert and --tlskey are required"), std::string::npos) << s.error().message;
  o.tls.cert = "/nonexistent/cert.pem";
  o.tls.key = "/nonexistent/key.pem";
  s = Server::listen(test_router(), o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("TLS: certificate /nonexistent/cert.pem"), std::string::npos) << s.error().message;
  o.tls = {};
  s = Server::listen(test_router(), o);
  ASSERT_TRUE(s) << s.error().what();
  (*s)->start();
  auto addr = (*s)->addresses().at(0);
  int port = std::stoi(addr.substr(addr.rfind(':') + 1));
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  write_request(fd.get(), "GET /hello/tcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(body_of(read_all(fd.get())), "hello tcp at 1.50");
}

TEST(Server, HostSpecs) {
  EXPECT_EQ(parse_host("unix:///run/x.sock")->path, "/run/x.sock");
  EXPECT_EQ(parse_host("tcp://127.0.0.1:2375")->port, 2375);
  EXPECT_FALSE(parse_host("tcp://127.0.0.1"));
  EXPECT_FALSE(parse_host("tcp://127.0.0.1:99999"));
  EXPECT_FALSE(parse_host("ssh://host"));
}

TEST(Server, HijackUpgradesAndCarriesFrames) {
  Served s;
  auto fd = connect_unix(s.sock);
  ASSERT_TRUE(fd);
  // The client sends its first stdin bytes right after the request, as docker attach may.
  write_request(fd.get(), "POST /v1.50/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nping");
  auto head = read_until(fd.get(), "\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 UPGRADED\r\n")) << head;
  EXPECT_NE(head.find("Upgrade: tcp"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: application/vnd.docker.multiplexed-stream"), std::string::npos);
  write_request(fd.get(), "\n");
  std::string rest = head.substr(head.find("\r\n\r\n") + 4) + read_all(fd.get());
  MuxDecoder d;
  auto frames = d.feed(rest);
  ASSERT_TRUE(frames);
  ASSERT_EQ(frames->size(), 2u);
  EXPECT_EQ((*frames)[0].stream, StdStream::Stdout);
  EXPECT_EQ((*frames)[0].data, "ping\n");
  EXPECT_EQ((*frames)[1].stream, StdStream::Stderr);
  EXPECT_EQ((*frames)[1].data, "done\n");
}
