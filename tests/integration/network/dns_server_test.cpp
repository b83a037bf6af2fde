// The embedded DNS server against a real namespace: its sockets at 127.0.0.11:53 inside it,
// local names answered over UDP and TCP, other names forwarded to a fake upstream on the
// host's loopback (a silent one makes it try the next, then SERVFAIL), garbage answered
// FORMERR or dropped, and remove() closing every socket it had.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "common/fd.hpp"
#include "network/dns_records.hpp"
#include "network/dns_server.hpp"
#include "network/netns.hpp"
#include "support/fake_dns_upstream.hpp"
#include "support/support.hpp"

using namespace berth;
using namespace berth::network;
using Bytes = std::vector<uint8_t>;

namespace {

Ipv4 A(const char* s) { return *Ipv4::parse(s); }

sockaddr_in addr_of(Ipv4 a, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(a.value);
  return sa;
}

Bytes query(const std::string& name, uint16_t type = dns::kTypeA, uint16_t id = 0x4242) {
  Bytes b{uint8_t(id >> 8), uint8_t(id), 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    b.push_back(uint8_t(dot - start));
    b.insert(b.end(), name.begin() + long(start), name.begin() + long(dot));
    start = dot + 1;
  }
  b.insert(b.end(), {0, uint8_t(type >> 8), uint8_t(type), 0, 1});
  return b;
}

uint8_t rcode(const Bytes& r) { return r.size() < 4 ? 0xFF : r[3] & 0x0F; }
// The first A record's address (answers start after the question; ours are 16 bytes each).
std::string first_a(const Bytes& r) {
  if (r.size() < 16 || r[7] == 0) return "";
  auto* a = &r[r.size() - 4 - 16 * (r[7] - 1)];
  return Ipv4{uint32_t(a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3])}.str();
}

// Sends one query from inside the namespace and waits (bounded) for the answer; empty when none.
Bytes ask(const std::string& netns, const Bytes& q, bool tcp, int timeout_ms = 5000) {
  Bytes out;
  std::thread t([&] {
    auto ns = open_netns(netns);
    if (!ns || setns(ns->get(), CLONE_NEWNET) != 0) return;
    UniqueFd s(socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0));
    auto sa = addr_of(A("127.0.0.11"), 53);
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return;
    Bytes msg = q;
    if (tcp) {
      msg.insert(msg.begin(), {uint8_t(q.size() >> 8), uint8_t(q.size())});
    }
    if (send(s.get(), msg.data(), msg.size(), MSG_NOSIGNAL) != ssize_t(msg.size())) return;
    Bytes got;
    uint8_t buf[65536];
    while (true) {
      pollfd p{s.get(), POLLIN, 0};
      if (poll(&p, 1, timeout_ms) != 1) return;
      ssize_t n = recv(s.get(), buf, sizeof buf, 0);
      if (n <= 0) return;
      got.insert(got.end(), buf, buf + n);
      if (!tcp) break;
      if (got.size() >= 2 && got.size() >= 2u + (got[0] << 8 | got[1])) {
        got.erase(got.begin(), got.begin() + 2);
        break;
      }
    }
    out = got;
  });
  t.join();
  return out;
}

// A fake upstream on 127.0.0.1 with an ephemeral port.
class FakeUpstream : public berth::network::test::FakeDnsUpstream {
 public:
  explicit FakeUpstream(bool silent = false) : FakeDnsUpstream(A("127.0.0.1"), 0, silent) {}
  DnsUpstream upstream() const { return {A("127.0.0.1"), port()}; }
};

int fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

class DnsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    netns = dir / "ns";
    ASSERT_TRUE(create_netns(netns));
    records.add("net-id", "net", "asker", A("10.9.0.2"), {"asker"});
    records.add("net-id", "net", "other", A("10.9.0.3"), {"web", "alias1"});
  }
  void TearDown() override { (void)remove_netns(netns); }
  std::unique_ptr<DnsServer> start(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
    DnsServerOptions o;
    o.resolve = [this](const std::string& c, const dns::Query& q) { return records.answer(c, q); };
    o.upstream_timeout = timeout;
    auto s = DnsServer::start(std::move(o));
    EXPECT_TRUE(s) << s.error().what();
    return s ? std::move(*s) : nullptr;
  }
  berth::test::TempDir dir{"berth-dns"};
  std::string netns;
  DnsRecords records;
};

}  // namespace

TEST_F(DnsServerTest, LocalNamesOverUdpAndTcp) {
  auto s = start();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add("asker", netns, {}));
  for (bool tcp : {false, true}) {
    auto r = ask(netns, query("Web", dns::kTypeA), tcp);
    ASSERT_FALSE(r.empty()) << "no answer, tcp=" << tcp;
    EXPECT_EQ(rcode(r), dns::kNoError);
    EXPECT_EQ(first_a(r), "10.9.0.3") << "tcp=" << tcp;
    EXPECT_EQ(first_a(ask(netns, query("alias1"), tcp)), "10.9.0.3");
    // Without upstreams an unknown name is NXDOMAIN at once.
    EXPECT_EQ(rcode(ask(netns, query("nope.example"), tcp)), dns::kNxDomain);
  }
}

TEST_F(DnsServerTest, OtherNamesGoUpstreamOverTheClientsTransport) {
  FakeUpstream up;
  auto s = start();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add("asker", netns, {up.upstream()}));
  for (bool tcp : {false, true}) {
    auto r = ask(netns, query("upstream.test", dns::kTypeA, 0x0777), tcp);
    ASSERT_FALSE(r.empty()) << "tcp=" << tcp;
    EXPECT_EQ(dns::message_id(r), 0x0777);
    EXPECT_EQ(first_a(r), "192.0.2.7") << "tcp=" << tcp;
    EXPECT_EQ(rcode(ask(netns, query("missing.test"), tcp)), dns::kNxDomain);
  }
  EXPECT_EQ(up.queries(), 4);
}

TEST_F(DnsServerTest, SilentUpstreamIsSkippedThenServfail) {
  FakeUpstream silent(true), good;
  auto s = start(std::chrono::milliseconds(300));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add("asker", netns, {silent.upstream(), good.upstream()}));
  EXPECT_EQ(first_a(ask(netns, query("upstream.test"), false)), "192.0.2.7");
  EXPECT_EQ(silent.queries(), 1);
  ASSERT_TRUE(s->add("asker", netns, {silent.upstream()}));
  auto t0 = std::chrono::steady_clock::now();
  auto r = ask(netns, query("upstream.test"), false);
  EXPECT_EQ(rcode(r), dns::kServFail);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST_F(DnsServerTest, GarbageIsAnsweredFormErrOrDroppedAndServingGoesOn) {
  auto s = start();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add("asker", netns, {}));
  Bytes loop = {0, 9, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12, 0, 1, 0, 1};
  auto r = ask(netns, loop, false);
  ASSERT_EQ(r.size(), dns::kHeaderSize);
  EXPECT_EQ(rcode(r), dns::kFormErr);
  EXPECT_EQ(rcode(ask(netns, loop, true)), dns::kFormErr);
  // Random packets, then a real query still answered.
  std::mt19937 rng(7);
  std::thread t([&] {
    auto ns = open_netns(netns);
    ASSERT_TRUE(ns);
    ASSERT_EQ(setns(ns->get(), CLONE_NEWNET), 0);
    UniqueFd u(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    auto sa = addr_of(A("127.0.0.11"), 53);
    for (int i = 0; i < 2000; ++i) {
      Bytes b(rng() % 600);
      for (auto& x : b) x = uint8_t(rng());
      sendto(u.get(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    }
  });
  t.join();
  // The flood may still fill the socket's queue, dropping a query as UDP may: asked again,
  // as resolvers do.
  EXPECT_TRUE(berth::test::wait_until([&] { return first_a(ask(netns, query("web"), false, 500)) == "10.9.0.3"; },
                                      std::chrono::seconds(10)))
      << "no answer after the flood";
}

TEST_F(DnsServerTest, RemoveClosesEverySocket) {
  FakeUpstream silent(true);
  auto s = start();
  ASSERT_TRUE(s);
  int before = fd_count();
  ASSERT_TRUE(s->add("asker", netns, {silent.upstream()}));
  EXPECT_EQ(s->client_count(), 1u);
  EXPECT_EQ(first_a(ask(netns, query("web"), true)), "10.9.0.3");
  // A query left in flight upstream, then the client goes.
  (void)ask(netns, query("upstream.test"), false, 100);
  s->remove("asker");
  EXPECT_EQ(s->client_count(), 0u);
  EXPECT_EQ(fd_count(), before);
  EXPECT_TRUE(ask(netns, query("web"), false, 300).empty());
  s->remove("asker");  // twice is fine
}

TEST_F(DnsServerTest, MissingNamespaceIsAClearError) {
  auto s = start();
  ASSERT_TRUE(s);
  auto r = s->add("asker", dir / "no-such-ns", {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("no-such-ns"), std::string::npos) << r.error().what();
  EXPECT_EQ(s->client_count(), 0u);
}

TEST_F(DnsServerTest, InFlightForwardsAreBoundedPerContainer) {
  FakeUpstream silent(true);
  auto s = start(std::chrono::milliseconds(2000));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add("asker", netns, {silent.upstream()}));
  // 100 queries at once to a silent upstream: 64 wait for it, the other 36 get SERVFAIL at once.
  int servfails = 0;
  std::thread t([&] {
    auto ns = open_netns(netns);
    ASSERT_TRUE(ns);
    ASSERT_EQ(setns(ns->get(), CLONE_NEWNET), 0);
    UniqueFd u(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    auto sa = addr_of(A("127.0.0.11"), 53);
    ASSERT_EQ(connect(u.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    for (int i = 0; i < 100; ++i) {
      auto q = query("upstream.test", dns::kTypeA, uint16_t(i + 1));
      ASSERT_EQ(send(u.get(), q.data(), q.size(), 0), ssize_t(q.size()));
    }
    uint8_t buf[512];
    pollfd p{u.get(), POLLIN, 0};
    while (servfails < 36 && poll(&p, 1, 1000) == 1)
      if (recv(u.get(), buf, sizeof buf, 0) >= 4 && (buf[3] & 0x0F) == dns::kServFail) ++servfails;
  });
  t.join();
  EXPECT_EQ(servfails, 36);
  EXPECT_TRUE(berth::test::wait_until([&] { return silent.queries() == 64; }, std::chrono::seconds(5)))
      << silent.queries() << " queries reached the upstream";
  // A local name is still answered meanwhile.
  EXPECT_EQ(first_a(ask(netns, query("web"), false)), "10.9.0.3");
}

TEST_F(DnsServerTest, TcpConnectionsArePerContainerBounded) {
  auto s = start();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->add("asker", netns, {}));
  int refused = 0;
  std::thread t([&] {
    auto ns = open_netns(netns);
    ASSERT_TRUE(ns);
    ASSERT_EQ(setns(ns->get(), CLONE_NEWNET), 0);
    std::vector<UniqueFd> conns;
    auto sa = addr_of(A("127.0.0.11"), 53);
    for (int i = 0; i < 20; ++i) {
      conns.emplace_back(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      ASSERT_EQ(connect(conns.back().get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
      // Each asks once: kept connections answer, refused ones are closed by the server.
      auto q = query("web");
      q.insert(q.begin(), {0, uint8_t(q.size())});
      (void)send(conns.back().get(), q.data(), q.size(), MSG_NOSIGNAL);
      pollfd p{conns.back().get(), POLLIN, 0};
      uint8_t buf[512];
      if (poll(&p, 1, 2000) != 1 || recv(conns.back().get(), buf, sizeof buf, 0) <= 0) ++refused;
    }
  });
  t.join();
  EXPECT_EQ(refused, 4);
  // All closed by the client now: the server has room again.
  EXPECT_TRUE(berth::test::wait_until([&] { return first_a(ask(netns, query("web"), true, 500)) == "10.9.0.3"; },
                                      std::chrono::seconds(5)));
}
