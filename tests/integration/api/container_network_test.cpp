// Containers on networks, with both stock clients against a private berthd: the default
// bridge, a user network with a fixed address reached from another container, none, host,
// container:, the /etc files, dockerd's errors, and no link left behind.
#include <gtest/gtest.h>
#include <net/if.h>

#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/host_links.hpp"

using namespace berth::api::test;

namespace {

class ContainerNetwork : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
    veths_before = veths_on_host();
  }
  void TearDown() override {
    auto ids = docker({"ps", "-aq"});
    std::istringstream in(ids.out);
    for (std::string id; in >> id;) docker({"rm", "-f", id});
    docker({"network", "prune", "-f"});
    EXPECT_EQ(veths_settle_at(veths_before), veths_before) << "veths left behind";
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  Berthd d;
  int veths_before = 0;
};

}  // namespace

TEST_P(ContainerNetwork, DefaultBridgeGivesAnAddressRouteAndEtcFiles) {
  auto subnet = docker({"network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"});
  ASSERT_EQ(subnet.status, 0) << subnet.err;
  std::string gw = subnet.out.substr(0, subnet.out.find('\n'));
  auto r = docker({"run", "--rm", "--hostname", "web", "busybox", "sh", "-c",
                   "ip -o -4 addr show eth0; ip route; cat /etc/hosts /etc/hostname"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string prefix = gw.substr(0, gw.rfind('.') + 1);  // "172.17.0."
  EXPECT_NE(r.out.find("inet " + prefix + "2/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("default via " + gw + " dev eth0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(prefix + "2\tweb\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nweb\n"), std::string::npos) << r.out;
  auto dns = docker({"run", "--rm", "--dns", "10.1.2.3", "--dns-search", "example.org", "busybox", "cat", "/etc/resolv.conf"});
  ASSERT_EQ(dns.status, 0) << dns.err;
  EXPECT_EQ(dns.out, "nameserver 10.1.2.3\nsearch example.org\n");
}

TEST_P(ContainerNetwork, AddHostDnsOptionsDomainAndMacAddress) {
  std::string gw = docker({"network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"}).out;
  gw = gw.substr(0, gw.find('\n'));
  auto r = docker({"run", "--rm", "--hostname", "web", "--domainname", "example.org", "--add-host", "db:10.0.0.5",
                   "--add-host", "gw:host-gateway", "--dns", "10.1.2.3", "--dns-option", "ndots:2",
                   "--mac-address", "02:42:ac:11:00:99", "busybox", "sh", "-c",
                   "cat /etc/hosts /etc/resolv.conf; ip -o link show eth0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\n10.0.0.5\tdb\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n" + gw + "\tgw\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\tweb.example.org web\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("options ndots:2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("link/ether 02:42:ac:11:00:99"), std::string::npos) << r.out;
  auto bad = docker({"run", "--rm", "--add-host", "db:10.0.0", "busybox", "true"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("10.0.0"), std::string::npos) << bad.err;
  EXPECT_EQ(docker({"ps", "-aq"}).out, "") << "a refused create left a container";
}

TEST_P(ContainerNetwork, UserNetworkFixedAddressReachableFromAnotherContainer) {
  ASSERT_EQ(docker({"network", "create", "--subnet", "10.124.5.0/24", "n1"}).status, 0);
  auto a = docker({"run", "-d", "--name", "na", "--network", "n1", "--ip", "10.124.5.50", "busybox", "sleep", "100"});
  ASSERT_EQ(a.status, 0) << a.err;
  auto ip = docker({"inspect", "-f", "{{.NetworkSettings.Networks.n1.IPAddress}}", "na"});
  EXPECT_EQ(ip.out, "10.124.5.50\n");
  auto ping = docker({"run", "--rm", "--network", "n1", "busybox", "ping", "-c", "1", "-W", "5", "10.124.5.50"});
  EXPECT_EQ(ping.status, 0) << ping.out << ping.err;
  auto shared = docker({"run", "--rm", "--network", "container:na", "busybox", "ip", "-o", "-4", "addr", "show", "eth0"});
  EXPECT_NE(shared.out.find("10.124.5.50/24"), std::string::npos) << shared.out << shared.err;
  auto members = docker({"network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}", "n1"});
  EXPECT_EQ(members.out, "na 10.124.5.50/24\n");

  int veths = veths_settle_at(veths_before + 1);  // na's; the --rm containers' go
  auto taken = docker({"run", "-d", "--network", "n1", "--ip", "10.124.5.50", "busybox", "sleep", "1"});
  EXPECT_NE(taken.status, 0);
  EXPECT_NE(taken.err.find("Address already in use"), std::string::npos) << taken.err;
  EXPECT_EQ(veths_settle_at(veths), veths) << "a refused start left a veth";
  auto outside = docker({"run", "-d", "--network", "n1", "--ip", "10.99.0.5", "busybox", "sleep", "1"});
  EXPECT_NE(outside.status, 0);
  EXPECT_NE(outside.err.find("Invalid address 10.99.0.5: It does not belong to any of this network's subnets"),
            std::string::npos) << outside.err;
  EXPECT_EQ(veths_settle_at(veths), veths) << "a refused start left a veth";
  auto busy = docker({"network", "rm", "n1"});
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.err.find("has active endpoints"), std::string::npos) << busy.err;
  ASSERT_EQ(docker({"rm", "-f", "na"}).status, 0);
  EXPECT_EQ(docker({"network", "rm", "n1"}).status, 0);
}

TEST_P(ContainerNetwork, NoneHostAndErrors) {
  auto none = docker({"run", "--rm", "--network", "none", "busybox", "ip", "-o", "link"});
  ASSERT_EQ(none.status, 0) << none.err;
  EXPECT_NE(none.out.find("lo:"), std::string::npos);
  EXPECT_EQ(none.out.find("eth0"), std::string::npos) << none.out;
  auto host = docker({"run", "--rm", "--network", "host", "busybox", "ip", "-o", "link"});
  ASSERT_EQ(host.status, 0) << host.err;
  EXPECT_NE(host.out.find("berth0"), std::string::npos) << "the host's links are not visible:\n" << host.out;
  auto missing = docker({"run", "--rm", "--network", "nope", "busybox", "true"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("network nope not found"), std::string::npos) << missing.err;
  // A fixed address on the default bridge is refused. The 20.10 client never sends it for the
  // default network (it drops --ip there), so only the current client can be checked.
  if (GetParam() == kDocker28) {
    auto bridge_ip = docker({"run", "--rm", "--ip", "172.17.0.99", "busybox", "true"});
    EXPECT_NE(bridge_ip.status, 0);
    EXPECT_NE(bridge_ip.err.find("user specified IP address is supported on user defined networks only"), std::string::npos)
        << bridge_ip.err;
  }
}

TEST_P(ContainerNetwork, ConnectAndDisconnectRunningAndStoppedContainers) {
  ASSERT_EQ(docker({"network", "create", "--subnet", "10.126.3.0/24", "n2"}).status, 0);
  ASSERT_EQ(docker({"run", "-d", "--name", "cc", "busybox", "sleep", "1000"}).status, 0);
  int veths = veths_on_host();
  auto conn = docker({"network", "connect", "--ip", "10.126.3.7", "--alias", "ccalias", "n2", "cc"});
  ASSERT_EQ(conn.status, 0) << conn.err;
  auto addrs = docker({"exec", "cc", "ip", "-o", "-4", "addr"});
  EXPECT_NE(addrs.out.find("eth1    inet 10.126.3.7/24"), std::string::npos) << addrs.out;
  EXPECT_NE(addrs.out.find("eth0    inet 172."), std::string::npos) << "eth0 kept:\n" << addrs.out;
  EXPECT_EQ(veths_on_host(), veths + 1);
  auto ping = docker({"run", "--rm", "--network", "n2", "busybox", "ping", "-c", "1", "-W", "5", "10.126.3.7"});
  EXPECT_EQ(ping.status, 0) << ping.out << ping.err;
  // Its name resolves on the new network (the embedded DNS learnt it at connect).
  auto by_name = docker({"run", "--rm", "--network", "n2", "busybox", "ping", "-c", "1", "-W", "5", "cc"});
  EXPECT_EQ(by_name.status, 0) << by_name.out << by_name.err;
  auto ip = docker({"inspect", "-f", "{{.NetworkSettings.Networks.n2.IPAddress}}", "cc"});
  EXPECT_EQ(ip.out, "10.126.3.7\n");
  auto again = docker({"network", "connect", "n2", "cc"});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("endpoint with name cc already exists in network n2"), std::string::npos) << again.err;

  auto by_alias = docker({"run", "--rm", "--network", "n2", "busybox", "ping", "-c", "1", "-W", "5", "ccalias"});
  EXPECT_EQ(by_alias.status, 0) << by_alias.out << by_alias.err;
  auto disc = docker({"network", "disconnect", "n2", "cc"});
  ASSERT_EQ(disc.status, 0) << disc.err;
  auto gone = docker({"run", "--rm", "--network", "n2", "busybox", "nslookup", "cc", "127.0.0.11"});
  EXPECT_NE(gone.status, 0) << "cc still resolves on n2 after disconnect:\n" << gone.out;
  addrs = docker({"exec", "cc", "ip", "-o", "link"});
  EXPECT_EQ(addrs.out.find("eth1"), std::string::npos) << addrs.out;
  EXPECT_EQ(veths_settle_at(veths), veths) << "the disconnected veth was left";
  auto not_on = docker({"network", "disconnect", "n2", "cc"});
  EXPECT_NE(not_on.status, 0);
  EXPECT_NE(not_on.err.find("is not connected to network n2"), std::string::npos) << not_on.err;
  // The address is free again.
  ASSERT_EQ(docker({"run", "-d", "--name", "taker", "--network", "n2", "--ip", "10.126.3.7", "busybox", "sleep", "100"}).status, 0);

  // A created container connected before its first start gets both interfaces then.
  ASSERT_EQ(docker({"create", "--name", "sc", "busybox", "sleep", "1000"}).status, 0);
  ASSERT_EQ(docker({"network", "connect", "n2", "sc"}).status, 0);
  ASSERT_EQ(docker({"start", "sc"}).status, 0);
  auto both = docker({"exec", "sc", "ip", "-o", "-4", "addr"});
  EXPECT_NE(both.out.find("eth0    inet 172."), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("eth1    inet 10.126.3."), std::string::npos) << both.out;

  ASSERT_EQ(docker({"run", "-d", "--name", "hc", "--network", "host", "busybox", "sleep", "1000"}).status, 0);
  auto host = docker({"network", "connect", "n2", "hc"});
  EXPECT_NE(host.status, 0);
  EXPECT_NE(host.err.find("container sharing network namespace with another container or host cannot be connected "
                          "to any other network"),
            std::string::npos) << host.err;
  auto missing = docker({"network", "connect", "n2", "nosuch"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("No such container: nosuch"), std::string::npos) << missing.err;
}

// berth's own network verbs print what docker prints.
TEST_P(ContainerNetwork, BerthNetworkVerbs) {
  if (GetParam() != kDocker28) GTEST_SKIP() << "client-independent";
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "BERTH_HOST=" + d.host(), berth::test::bin("berth")});
    return berth::test::run(args, "", std::chrono::seconds(60));
  };
  auto created = berth({"network", "create", "--subnet", "10.127.1.0/24", "--label", "team=a", "bn"});
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_EQ(created.out.size(), 65u) << created.out;
  auto ls = berth({"network", "ls"});
  auto theirs = docker({"network", "ls"});
  EXPECT_EQ(ls.out, theirs.out);
  auto insp = berth({"network", "inspect", "-f", "{{.Name}} {{.Driver}}", "bn"});
  EXPECT_EQ(insp.out, "bn bridge\n");
  ASSERT_EQ(berth({"run", "-d", "--name", "bc", "busybox", "sleep", "1000"}).status, 0);
  auto conn = berth({"network", "connect", "--ip", "10.127.1.9", "bn", "bc"});
  EXPECT_EQ(conn.status, 0) << conn.err;
  EXPECT_EQ(docker({"inspect", "-f", "{{.NetworkSettings.Networks.bn.IPAddress}}", "bc"}).out, "10.127.1.9\n");
  auto busy = berth({"network", "rm", "bn"});
  EXPECT_EQ(busy.status, 1);
  EXPECT_NE(busy.err.find("Error response from daemon: error while removing network: network bn id"), std::string::npos)
      << busy.err;
  EXPECT_EQ(berth({"network", "disconnect", "bn", "bc"}).status, 0);
  auto rm = berth({"network", "rm", "bn"});
  EXPECT_EQ(rm.out, "bn\n") << rm.err;
  auto bad = berth({"network", "create", "--gateway", "10.0.0.1", "x"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("every ip-range or gateway must have a corresponding subnet"), std::string::npos) << bad.err;
}

INSTANTIATE_TEST_SUITE_P(Clients, ContainerNetwork, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
