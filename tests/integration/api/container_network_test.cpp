// Containers on networks, with both stock clients against a private berthd: the default
// bridge, a user network with a fixed address reached from another container, none, host,
// container:, the /etc files, dockerd's errors, and no link left behind.
#include <gtest/gtest.h>
#include <net/if.h>

#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"

using namespace berth::api::test;

namespace {

int veths_on_host() {
  int n = 0;
  if (auto* all = if_nameindex()) {
    for (auto* i = all; i->if_index; ++i)
      if (std::string(i->if_name).starts_with("veth")) ++n;
    if_freenameindex(all);
  }
  return n;
}

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
    EXPECT_EQ(veths_on_host(), veths_before) << "veths left behind";
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

  int veths = veths_on_host();
  auto taken = docker({"run", "-d", "--network", "n1", "--ip", "10.124.5.50", "busybox", "sleep", "1"});
  EXPECT_NE(taken.status, 0);
  EXPECT_NE(taken.err.find("Address already in use"), std::string::npos) << taken.err;
  EXPECT_EQ(veths_on_host(), veths) << "a refused start left a veth";
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

INSTANTIATE_TEST_SUITE_P(Clients, ContainerNetwork, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
