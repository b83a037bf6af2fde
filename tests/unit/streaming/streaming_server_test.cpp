// The streaming server over TCP on loopback: URLs and their single-use tokens (unknown, used and
// expired are 404s), the request checks, upgrade negotiation (missing headers, unknown
// subprotocol), and an exec session end to end against a runtime whose process speaks the
// shim's frames from a thread.
#include "cri/streaming/streaming_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <map>
#include <thread>

#include "cri/streaming/token_cache.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exec_request.hpp"
#include "spdy_test_client.hpp"

using namespace berth;
using namespace berth::cri::streaming;
using berth::cri::streaming::test::SpdyTestClient;

namespace {

// The process of every exec: prints its command on stdout, "oops" on stderr, exits 3.
class FakeRuntime : public StreamingRuntime {
 public:
  ~FakeRuntime() override {
    for (auto& t : threads) t.join();
  }
  Result<Process> exec(const ExecRequest& r) override {
    if (r.container_id == "missing") return fail(ErrorKind::NotFound, "No such container: missing");
    Process p;
    p.start = [this, r]() -> Result<UniqueFd> {
      int fds[2];
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
      threads.emplace_back([fd = fds[1], r] {
        UniqueFd c(fd);
        std::string all;
        for (auto& a : r.cmd) all += a + ";";
        send_all(fd, engine::encode_frame(engine::FrameType::Stdout, all));
        send_all(fd, engine::encode_frame(engine::FrameType::Stderr, "oops"));
        send_all(fd, engine::encode_frame(engine::FrameType::ExecExit, engine::encode_exec_exit({3, false})));
      });
      return UniqueFd(fds[0]);
    };
    return p;
  }
  Result<Process> attach(const AttachRequest&) override { return fail(ErrorKind::NotFound, "not in this test"); }
  std::vector<std::thread> threads;
};

UniqueFd connect_to(const std::string& url) {
  // url: http://127.0.0.1:<port>/...
  auto colon = url.find(':', 7);
  uint16_t port = static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  return s;
}

std::string path_of(const std::string& url) { return url.substr(url.find('/', 7)); }

// Sends a request head; returns the response head (up to the blank line), leaving the rest.
std::string request(int fd, const std::string& method, const std::string& path, const std::string& headers) {
  send_all(fd, method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && read(fd, &c, 1) == 1) head.push_back(c);
  return head;
}

std::string body_after(int fd) {
  std::string s;
  char buf[1024];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}

const std::string kSpdyUpgrade =
    "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
    "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n";

struct ServerFixture : ::testing::Test {
  FakeRuntime runtime;
  std::unique_ptr<StreamingServer> server;
  void SetUp() override {
    auto s = StreamingServer::start({}, runtime);
    ASSERT_TRUE(s) << s.error().what();
    server = std::move(*s);
  }
  void TearDown() override { server.reset(); }
};

}  // namespace

TEST(TokenCache, SingleUseAndExpiry) {
  auto now = TokenCache::Clock::now();
  TokenCache c(std::chrono::seconds(60), [&] { return now; });
  auto t1 = c.insert(PortForwardRequest{"pod", ""});
  auto t2 = c.insert(PortForwardRequest{"pod2", ""});
  ASSERT_TRUE(t1 && t2);
  EXPECT_EQ(t1->size(), 32u);
  EXPECT_NE(*t1, *t2);
  auto got = c.take(*t1);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::get<PortForwardRequest>(*got).pod_sandbox_id, "pod");
  EXPECT_FALSE(c.take(*t1));  // used
  EXPECT_FALSE(c.take("nonsense"));
  now += std::chrono::seconds(61);
  EXPECT_FALSE(c.take(*t2));  // expired
  EXPECT_EQ(c.size(), 0u);
}

TEST(TokenCache, Bounded) {
  TokenCache c(std::chrono::seconds(60));
  for (size_t i = 0; i < TokenCache::kMaxInFlight; ++i) ASSERT_TRUE(c.insert(AttachRequest{"c"}));
  auto over = c.insert(AttachRequest{"c"});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().what(), "maximum number of in-flight streaming requests exceeded");
}

TEST_F(ServerFixture, RequestChecks) {
  EXPECT_EQ(server->get_exec({"", {"ls"}, false, false, true, false}).error().what(), "missing required container_id");
  EXPECT_EQ(server->get_exec({"c", {}, false, false, true, false}).error().what(), "missing required cmd");
  EXPECT_EQ(server->get_exec({"c", {"ls"}, true, false, true, true}).error().what(), "tty and stderr cannot both be true");
  EXPECT_EQ(server->get_exec({"c", {"ls"}, false, false, false, false}).error().what(),
            "one of stdin, stdout, or stderr must be set");
  EXPECT_EQ(server->get_port_forward({"", ""}).error().what(), "missing required pod_sandbox_id");
  auto url = server->get_exec({"c", {"ls"}, false, false, true, false});
  ASSERT_TRUE(url);
  EXPECT_EQ(url->rfind(server->base_url() + "/exec/", 0), 0u) << *url;
}

TEST_F(ServerFixture, UnknownUsedAndWrongKindTokensAre404) {
  auto url = *server->get_exec({"c", {"ls"}, false, false, true, false});
  std::string token = url.substr(url.rfind('/') + 1);
  {
    auto fd = connect_to(url);  // the exec token on the attach path
    EXPECT_EQ(request(fd.get(), "POST", "/attach/" + token, kSpdyUpgrade).substr(0, 22), "HTTP/1.1 404 Not Found");
  }
  {
    auto fd = connect_to(url);  // that use spent it
    auto head = request(fd.get(), "POST", path_of(url), kSpdyUpgrade);
    EXPECT_EQ(head.substr(0, 22), "HTTP/1.1 404 Not Found");
    EXPECT_NE(body_after(fd.get()).find("unknown, used or expired"), std::string::npos);
  }
  auto fd = connect_to(url);
  EXPECT_EQ(request(fd.get(), "GET", "/other/x", "").substr(0, 22), "HTTP/1.1 404 Not Found");
}

TEST_F(ServerFixture, UpgradeNegotiation) {
  auto no_upgrade = *server->get_exec({"c", {"ls"}, false, false, true, false});
  auto fd = connect_to(no_upgrade);
  EXPECT_EQ(request(fd.get(), "POST", path_of(no_upgrade), "").substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(body_after(fd.get()), "unable to upgrade: missing upgrade headers in request\n");

  auto bad_proto = *server->get_exec({"c", {"ls"}, false, false, true, false});
  auto fd2 = connect_to(bad_proto);
  EXPECT_EQ(request(fd2.get(), "POST", path_of(bad_proto),
                    "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v9.channel.k8s.io\r\n")
                .substr(0, 22),
            "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(body_after(fd2.get()),
            "unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts "
            "[v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io]\n");

  auto missing = *server->get_exec({"missing", {"ls"}, false, false, true, false});
  auto fd3 = connect_to(missing);
  EXPECT_EQ(request(fd3.get(), "POST", path_of(missing), kSpdyUpgrade).substr(0, 22), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(body_after(fd3.get()), "No such container: missing\n");

  auto garbage = connect_to(no_upgrade);
  send_all(garbage.get(), "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(body_after(garbage.get()).substr(0, 24), "HTTP/1.1 400 Bad Request");
}

TEST_F(ServerFixture, ExecSessionEndToEnd) {
  auto url = *server->get_exec({"c", {"echo", "hi"}, false, false, true, true});
  auto fd = connect_to(url);
  auto head = request(fd.get(), "POST", path_of(url), kSpdyUpgrade);
  ASSERT_EQ(head.substr(0, 34), "HTTP/1.1 101 Switching Protocols\r\n") << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"), std::string::npos) << head;
  SpdyTestClient c(fd.get());
  uint32_t err = c.open("error"), out = c.open("stdout"), errs = c.open("stderr");
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  EXPECT_EQ(c.data[out], "echo;hi;");
  EXPECT_EQ(c.data[errs], "oops");
  auto st = nlohmann::json::parse(c.data[err]);
  EXPECT_EQ(st["details"]["causes"][0]["message"], "3");
}

TEST_F(ServerFixture, ExecOverWebSocket) {
  auto url = *server->get_exec({"c", {"echo", "hi"}, false, false, true, true});
  auto fd = connect_to(url);
  auto head = request(fd.get(), "GET", path_of(url),
                      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Protocol: v9.channel.k8s.io, v5.channel.k8s.io\r\n");
  ASSERT_EQ(head.substr(0, 12), "HTTP/1.1 101") << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n"), std::string::npos) << head;
  // The server's frames until its close: unmasked, one message each, none past 64 KiB here.
  std::string wire = body_after(fd.get());
  std::map<int, std::string> channels;
  bool closed = false;
  for (size_t at = 0; at + 2 <= wire.size();) {
    uint8_t op = static_cast<uint8_t>(wire[at]) & 0x0f;
    size_t len = static_cast<uint8_t>(wire[at + 1]), hdr = 2;
    ASSERT_LT(len, 127u);
    if (len == 126) {
      len = size_t(static_cast<uint8_t>(wire[at + 2])) << 8 | static_cast<uint8_t>(wire[at + 3]);
      hdr = 4;
    }
    std::string payload = wire.substr(at + hdr, len);
    at += hdr + len;
    if (op == 8) closed = true;
    else if (op == 2 && !payload.empty()) channels[static_cast<uint8_t>(payload[0])] += payload.substr(1);
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(channels[1], "echo;hi;");
  EXPECT_EQ(channels[2], "oops");
  EXPECT_EQ(nlohmann::json::parse(channels[3])["details"]["causes"][0]["message"], "3");
}

TEST_F(ServerFixture, PortForwardOverWebSocketIsRefused) {
  auto url = *server->get_port_forward({"pod", ""});
  auto fd = connect_to(url);
  auto head = request(fd.get(), "GET", path_of(url),
                      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: portforward.k8s.io\r\n");
  EXPECT_EQ(head.substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(body_after(fd.get()), "unable to upgrade: unsupported protocol 'websocket' (SPDY/3.1 is spoken)\n");
}
