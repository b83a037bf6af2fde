// berthd beside a dockerd that runs with its iptables rules (its FORWARD policy DROP, its
// chains, docker0 and docker-proxy), both inside a network namespace of the test's own so the
// host's firewall is never touched: containers on berth's bridges still reach each other by
// name and through a published port, and when berthd stops its rules are gone while dockerd's
// stay as they were.
#include <gtest/gtest.h>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/dockerd_fixture.hpp"
#include "api/test_netns.hpp"

using namespace berth::api::test;

namespace {

const char* kHttpdWithHostname = "mkdir -p /www && echo hello-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www";

}  // namespace

TEST(DockerdCoexistence, BerthBridgesForwardBesideDockerdsDropPolicy) {
  ASSERT_TRUE(berth::test::have_program("dockerd"));
  ASSERT_FALSE(busybox_archive().empty());
  TestNetns ns("berth-coexist");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(ns.run({"sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward"}).status, 0);
  Dockerd dockerd({.prefix = ns.prefix(), .networking = true});
  ASSERT_TRUE(dockerd.ready()) << dockerd.log();
  ASSERT_EQ(dockerd.docker({"load", "-i", busybox_archive()}).status, 0);
  // A dockerd container with a published port, so its DOCKER chains hold real rules. (dockerd
  // sets the DROP policy when it turns forwarding on itself: the namespace starts with it off.)
  auto theirs = dockerd.docker({"run", "-d", "--hostname", "theirs", "-p", "18091:80", "busybox", "sh", "-c", kHttpdWithHostname});
  ASSERT_EQ(theirs.status, 0) << theirs.err;
  auto before = ns.run({"iptables", "-S"});
  ASSERT_NE(before.out.find("-P FORWARD DROP"), std::string::npos) << "dockerd did not set its policy:\n" << before.out;

  {
    Berthd d({}, "{}", ns.prefix());
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
    ASSERT_EQ(d.docker({"network", "create", "--subnet", "10.128.4.0/24", "usernet"}).status, 0);
    ASSERT_EQ(d.docker({"run", "-d", "--name", "web", "--hostname", "web", "--network", "usernet", "-p", "18090:80",
                        "busybox", "sh", "-c", kHttpdWithHostname}).status, 0);
    // Container to container by name across the bridge (forwarded, so dockerd's policy applies).
    auto ping = d.docker({"run", "--rm", "--network", "usernet", "busybox", "ping", "-c", "1", "-W", "5", "web"});
    EXPECT_EQ(ping.status, 0) << ping.out << ping.err;
    // The published port from the namespace's loopback, and from a container on the default bridge.
    std::string body;
    berth::test::wait_until([&] {
      body = ns.run({"curl", "-s", "--max-time", "2", "http://127.0.0.1:18090/"}).out;
      return !body.empty();
    }, std::chrono::seconds(15));
    EXPECT_EQ(body, "hello-web\n");
    auto gw = d.docker({"network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"}).out;
    gw = gw.substr(0, gw.find('\n'));
    auto via_host = d.docker({"run", "--rm", "busybox", "sh", "-c",
                              "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + gw + " 18090"});
    EXPECT_NE(via_host.out.find("hello-web"), std::string::npos) << via_host.out << via_host.err;
    // dockerd's own container still answers through docker-proxy.
    EXPECT_NE(ns.run({"curl", "-s", "--max-time", "5", "http://127.0.0.1:18091/"}).out.find("hello-theirs"),
              std::string::npos);
    auto during = ns.run({"iptables", "-S", "FORWARD"}).out;
    EXPECT_NE(during.find("--comment berth -j ACCEPT"), std::string::npos) << during;
    EXPECT_NE(during.find("-P FORWARD DROP"), std::string::npos) << "berth changed dockerd's policy:\n" << during;
    auto ids = d.docker({"ps", "-aq"});
    std::istringstream in(ids.out);
    for (std::string id; in >> id;) d.docker({"rm", "-f", id});
    ASSERT_EQ(d.docker({"network", "rm", "usernet"}).status, 0);
  }  // berthd stops

  auto after = ns.run({"iptables", "-S"});
  EXPECT_EQ(after.out.find("berth"), std::string::npos) << "berth's rules left:\n" << after.out;
  EXPECT_EQ(after.out, before.out) << "dockerd's rules changed";
  EXPECT_EQ(ns.run({"nft", "list", "table", "ip", "berth"}).status == 0 ? "table left" : "", "");
}
