// Port-forward over SPDY against a listener on loopback (this process's own namespace: the
// namespace entry is the integration test's): data relayed both ways with half-closes, two
// requests at once, a refused port reported on the error stream, malformed headers refused.
#include "cri/streaming/port_forward.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <thread>

#include "spdy_test_client.hpp"

using namespace berth;
using namespace berth::cri::streaming;
using berth::cri::streaming::test::SpdyTestClient;

namespace {

// A loopback listener that answers each connection with "echo:" + what it read until EOF.
struct EchoServer {
  UniqueFd lfd;
  uint16_t port = 0;
  std::thread t;
  explicit EchoServer(int conns) {
    lfd = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(lfd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(lfd.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    listen(lfd.get(), 8);
    t = std::thread([this, conns] {
      std::vector<std::thread> workers;
      for (int i = 0; i < conns; ++i) {
        int c = accept4(lfd.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) break;
        workers.emplace_back([c] {
          std::string got;
          char buf[4096];
          ssize_t n;
          while ((n = read(c, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
          send_all(c, "echo:" + got);
          close(c);
        });
      }
      for (auto& w : workers) w.join();
    });
  }
  ~EchoServer() {
    shutdown(lfd.get(), SHUT_RDWR);
    t.join();
  }
};

struct Serve {
  UniqueFd client, server_end;
  std::thread t;
  Result<> result;
  Serve() {
    int fds[2];
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
    client = UniqueFd(fds[0]);
    server_end = UniqueFd(fds[1]);
    t = std::thread([this] {
      result = serve_port_forward_spdy(server_end.get(), "", [](uint16_t port) { return dial_in_netns("", port); });
    });
  }
  ~Serve() {
    client.reset();
    t.join();
  }
};

spdy::Headers req(uint16_t port, const std::string& id) { return {{"port", std::to_string(port)}, {"requestid", id}}; }

}  // namespace

TEST(PortForward, TwoRequestsRelayedBothWays) {
  EchoServer echo(2);
  Serve s;
  SpdyTestClient c(s.client.get());
  uint32_t e0 = c.open("error", req(echo.port, "0")), d0 = c.open("data", req(echo.port, "0"));
  uint32_t e1 = c.open("error", req(echo.port, "1")), d1 = c.open("data", req(echo.port, "1"));
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 4; })) << c.error;
  c.send(d0, "first", true);
  c.send(d1, std::string(200 * 1024, 'x'), true);  // more than a window, split over frames
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(d0) && c.finished.count(d1) && c.finished.count(e0) && c.finished.count(e1); }))
      << c.error;
  EXPECT_EQ(c.data[d0], "echo:first");
  EXPECT_EQ(c.data[d1], "echo:" + std::string(200 * 1024, 'x'));
  EXPECT_EQ(c.data[e0], "");  // no error
  EXPECT_GE(c.window_updates[d1], 200u * 1024);
}

TEST(PortForward, RefusedPortIsReportedOnTheErrorStream) {
  // A port with no listener: bind one, note it, close it.
  uint16_t port;
  {
    EchoServer gone(0);
    port = gone.port;
  }
  Serve s;
  SpdyTestClient c(s.client.get());
  uint32_t e = c.open("error", req(port, "7")), d = c.open("data", req(port, "7"));
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(e) && c.finished.count(d); })) << c.error;
  EXPECT_NE(c.data[e].find("error forwarding port " + std::to_string(port) + ": dial localhost:" + std::to_string(port)),
            std::string::npos)
      << c.data[e];
  EXPECT_NE(c.data[e].find("Connection refused"), std::string::npos) << c.data[e];
}

TEST(PortForward, MalformedHeadersAreRefused) {
  Serve s;
  SpdyTestClient c(s.client.get());
  uint32_t no_req = c.open("data", {{"port", "80"}});
  uint32_t bad_type = c.open("stdin", req(80, "1"));
  uint32_t e = c.open("error", {{"port", "99999"}, {"requestid", "2"}});
  uint32_t d = c.open("data", {{"port", "99999"}, {"requestid", "2"}});
  ASSERT_TRUE(c.pump_until([&] { return c.reset.count(no_req) && c.reset.count(bad_type) && c.finished.count(e) && c.finished.count(d); }))
      << c.error;
  EXPECT_EQ(c.data[e], "invalid port '99999' (1 to 65535)");
}
