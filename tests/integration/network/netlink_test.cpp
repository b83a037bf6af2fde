// Real links in real namespaces: a bridge, a veth pair whose container end is created in a
// persistent namespace, addresses, a default route, and a TCP connection across them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/fd.hpp"
#include "support/netns_thread.hpp"
#include "network/netlink.hpp"
#include "network/netns.hpp"

using namespace berth;
using namespace berth::network;
using berth::network::test::in_fresh_netns;

namespace {

std::string tmp_dir() {
  char tmpl[] = "/tmp/berth-nettest-XXXXXX";
  return mkdtemp(tmpl);
}

bool mounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + path + " ") != std::string::npos) return true;
  return false;
}

#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    auto&& _r = (expr);                                                        \
    if (!_r) return std::string(#expr ": ") + _r.error().what();               \
  } while (0)

// Listens on addr:port inside the namespace at netns_fd; serves one connection "hello".
std::string serve_once_in(int netns_fd, Ipv4 addr, int port, int ready_fd) {
  if (setns(netns_fd, CLONE_NEWNET) != 0) return "setns";
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(addr.value);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(s.get(), 1) != 0) return "bind/listen";
  (void)!write(ready_fd, "r", 1);
  pollfd p{s.get(), POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) return "no connection within 10 s";
  UniqueFd c(accept4(s.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (write(c.get(), "hello", 5) != 5) return "write";
  return "";
}

}  // namespace

TEST(Netns, CreatedBoundAndRemovedWithoutMovingTheCaller) {
  auto dir = tmp_dir();
  auto path = dir + "/ns1";
  struct stat before {}, after {}, made {};
  ASSERT_EQ(stat("/proc/thread-self/ns/net", &before), 0);
  auto r = create_netns(path);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(stat("/proc/thread-self/ns/net", &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the caller's namespace changed";
  ASSERT_EQ(stat(path.c_str(), &made), 0);
  EXPECT_NE(made.st_ino, before.st_ino);
  EXPECT_TRUE(mounted(path));
  {
    auto fd = open_netns(path);
    ASSERT_TRUE(fd);
    auto nl = Netlink::open_in(fd->get());
    ASSERT_TRUE(nl) << nl.error().what();
    auto lo = nl->link("lo");
    ASSERT_TRUE(lo) << lo.error().what();
    EXPECT_TRUE(lo->up);
    auto links = nl->links();
    ASSERT_TRUE(links);
    EXPECT_EQ(links->size(), 1u) << "a new namespace holds only lo";
  }
  auto twice = create_netns(path);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::Exists);
  ASSERT_TRUE(remove_netns(path));
  EXPECT_FALSE(mounted(path));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(remove_netns(path)) << "removing a removed namespace is not an error";
  std::filesystem::remove_all(dir);
}

TEST(Netlink, BridgeAndVethCarryTcpIntoAContainerNamespace) {
  auto dir = tmp_dir();
  auto ns_path = dir + "/c1";
  auto failure = in_fresh_netns([&]() -> std::string {
    CHECK_OK(create_netns(ns_path));
    auto host = Netlink::open();
    CHECK_OK(host);
    CHECK_OK(host->create_bridge("br-test0", 1400));
    auto br = host->link("br-test0");
    CHECK_OK(br);
    if (br->kind != "bridge" || br->mtu != 1400) return "bridge: kind " + br->kind + " mtu " + std::to_string(br->mtu);
    CHECK_OK(host->add_address("br-test0", *Ipv4::parse("10.99.0.1"), 24));
    CHECK_OK(host->set_up("br-test0"));

    auto nsfd = open_netns(ns_path);
    CHECK_OK(nsfd);
    auto mac = *parse_mac("02:42:0a:63:00:02");
    CHECK_OK(host->create_veth({"vtest0", "eth0", nsfd->get(), 1400, mac}));
    CHECK_OK(host->set_master("vtest0", br->index));
    CHECK_OK(host->set_up("vtest0"));
    auto veth = host->link("vtest0");
    CHECK_OK(veth);
    if (veth->master != br->index || veth->kind != "veth") return "veth not enslaved to the bridge";
    if (host->link("eth0")) return "the container end appeared in the host namespace";

    auto ctr = Netlink::open_in(nsfd->get());
    CHECK_OK(ctr);
    CHECK_OK(ctr->add_address("eth0", *Ipv4::parse("10.99.0.2"), 24));
    CHECK_OK(ctr->set_up("eth0"));
    CHECK_OK(ctr->add_default_route(*Ipv4::parse("10.99.0.1"), "eth0"));
    auto eth0 = ctr->link("eth0");
    CHECK_OK(eth0);
    if (!eth0->up || eth0->mtu != 1400) return "eth0 not up with mtu 1400";
    auto in_use = prefixes_in_use(*ctr);
    CHECK_OK(in_use);
    if (std::ranges::find(*in_use, *Ipv4Prefix::parse("10.99.0.0/24")) == in_use->end())
      return "10.99.0.0/24 not among the container's prefixes";

    // One TCP connection from the bridge side to a listener in the container namespace.
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return "pipe";
    UniqueFd rd(ready[0]), wr(ready[1]);
    std::string server_failure;
    std::thread server([&] { server_failure = serve_once_in(nsfd->get(), *Ipv4::parse("10.99.0.2"), 5555, wr.get()); });
    pollfd p{rd.get(), POLLIN, 0};
    std::string got;
    if (poll(&p, 1, 10000) == 1) {
      UniqueFd c(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(5555);
      sa.sin_addr.s_addr = htonl(Ipv4::parse("10.99.0.2")->value);
      if (connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
        char buf[16];
        ssize_t n = read(c.get(), buf, sizeof buf);
        if (n > 0) got.assign(buf, n);
      }
    }
    server.join();
    if (!server_failure.empty()) return "server: " + server_failure;
    if (got != "hello") return "read '" + got + "' across the bridge";

    // Deleting the host end takes the container end with it.
    CHECK_OK(host->delete_link("vtest0"));
    if (ctr->link("eth0")) return "eth0 outlived its peer";
    auto gone = host->delete_link("vtest0");
    if (gone || gone.error().kind != ErrorKind::NotFound) return "deleting a missing link is not NotFound";
    CHECK_OK(remove_netns(ns_path));
    return "";
  });
  EXPECT_EQ(failure, "");
  remove_netns(ns_path);
  std::filesystem::remove_all(dir);
}
