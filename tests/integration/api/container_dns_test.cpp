// The embedded DNS on user-defined networks, with the stock docker clients against a private
// berthd whose upstreams (daemon.json "resolv-conf") are fake servers on the host's loopback:
// names, aliases and short IDs resolve from the same network only, the default bridge has no
// resolver, other names are forwarded, a stopped container stops resolving, berthd's restart
// serves running containers again, and nothing (sockets, fds) is left after rm.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "support/fake_dns_upstream.hpp"

using namespace berth::api::test;
using berth::network::Ipv4;
using berth::network::test::FakeDnsUpstream;

namespace {

// Loopback addresses of the fake upstreams: nothing else on the host serves them.
const Ipv4 kUpstream{0x7F350001};     // 127.53.0.1, named in the resolv-conf berthd reads
const Ipv4 kDnsFlagServer{0x7F350002};  // 127.53.0.2, given to a container with --dns

std::string resolv_conf_dir() {
  static berth::test::TempDir dir("berth-dns-resolv");
  // No search line: busybox's nslookup would then only ask for "name.<domain>".
  berth::test::write_text(dir / "resolv.conf", "nameserver " + kUpstream.str() + "\noptions timeout:2\n");
  return dir.path();
}

using berth::test::thread_count;

class ContainerDns : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_TRUE(up.ok()) << kUpstream.str() << ":53 is taken";
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(docker({"network", "create", "--subnet", "10.125.7.0/24", "dnsnet1"}).status, 0);
  }
  void TearDown() override {
    auto ids = docker({"ps", "-aq"});
    std::istringstream in(ids.out);
    for (std::string id; in >> id;) docker({"rm", "-f", id});
    docker({"network", "prune", "-f"});
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  // A long-running container on a network; its full ID.
  std::string run_bg(const std::string& name, const std::string& network, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "-d", "--name", name, "--network", network};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"busybox", "sleep", "300"});
    auto r = docker(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  std::string ip_of(const std::string& name, const std::string& network) {
    auto r = docker({"inspect", "-f", "{{.NetworkSettings.Networks." + network + ".IPAddress}}", name});
    return r.out.substr(0, r.out.find('\n'));
  }
  FakeDnsUpstream up{kUpstream};
  Berthd d{{}, R"({"resolv-conf": ")" + resolv_conf_dir() + R"(/resolv.conf"})"};
};

}  // namespace

TEST_P(ContainerDns, NameAliasAndShortIdResolveOnTheSameNetwork) {
  auto id = run_bg("web", "dnsnet1", {"--network-alias", "frontend"});
  ASSERT_EQ(id.size(), 64u);
  std::string ip = ip_of("web", "dnsnet1");
  ASSERT_FALSE(ip.empty());
  auto r = docker({"run", "--rm", "--network", "dnsnet1", "busybox", "sh", "-c",
                   "cat /etc/resolv.conf; ping -c1 -W2 web && ping -c1 -W2 frontend && nslookup web && "
                   "nslookup " + id.substr(0, 12)});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("nameserver 127.0.0.11\noptions ndots:0 timeout:2\n")) << r.out;
  EXPECT_NE(r.out.find("PING web (" + ip + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PING frontend (" + ip + ")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Name:\t" + id.substr(0, 12) + "\nAddress: " + ip), std::string::npos) << r.out;
  // The resolver served them all itself.
  EXPECT_EQ(up.queries(), 0);
}

TEST_P(ContainerDns, InspectShowsAliasesAsDockerdDoes) {
  auto id = run_bg("web", "dnsnet1", {"--network-alias", "frontend"});
  std::string sid = id.substr(0, 12);
  auto aliases = docker({"inspect", "-f", "{{json .NetworkSettings.Networks.dnsnet1.Aliases}}", "web"});
  if (GetParam() == kDocker28) {
    EXPECT_EQ(aliases.out, "[\"frontend\"]\n");
    auto names = docker({"inspect", "-f", "{{json .NetworkSettings.Networks.dnsnet1.DNSNames}}", "web"});
    EXPECT_EQ(names.out, "[\"web\",\"frontend\",\"" + sid + "\"]\n");
  } else {  // API 1.41: the short ID (also the hostname) is among the aliases
    EXPECT_EQ(aliases.out, "[\"frontend\",\"" + sid + "\"]\n");
  }
  // On the default bridge: docker 28 refuses it itself (20.10 drops the flag there); berthd
  // answers the API as dockerd does.
  if (GetParam() == kDocker28) {
    auto bridge = docker({"run", "--rm", "--network-alias", "x", "busybox", "true"});
    EXPECT_NE(bridge.status, 0);
    EXPECT_NE(bridge.err.find("network-scoped aliases are only supported for user-defined networks"), std::string::npos)
        << bridge.err;
  }
  auto raw = raw_request(d.socket_path(), "POST", "/containers/create",
                         R"({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "bridge"},
                             "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["x"]}}}})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_NE(raw.body.find("network-scoped alias is supported only for containers in user defined networks"),
            std::string::npos)
      << raw.body;
  auto bad = raw_request(d.socket_path(), "POST", "/containers/create",
                         R"({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "dnsnet1"},
                             "NetworkingConfig": {"EndpointsConfig": {"dnsnet1": {"Aliases": "x"}}}})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("EndpointsConfig.dnsnet1.Aliases"), std::string::npos) << bad.body;
  EXPECT_EQ(docker({"ps", "-aq"}).out, sid + "\n") << "a refused create left a container";
}

TEST_P(ContainerDns, OtherNetworksAndTheDefaultBridgeDoNotSeeTheNames) {
  run_bg("web", "dnsnet1");
  ASSERT_EQ(docker({"network", "create", "--subnet", "10.125.8.0/24", "dnsnet2"}).status, 0);
  auto other = docker({"run", "--rm", "--network", "dnsnet2", "busybox", "nslookup", "web"});
  EXPECT_NE(other.status, 0) << other.out;
  EXPECT_NE(other.out.find("NXDOMAIN"), std::string::npos) << other.out << other.err;
  EXPECT_EQ(other.out.find("10.125.7."), std::string::npos) << other.out;
  // The default bridge: the host's resolvers (loopback ones dropped), nothing at 127.0.0.11.
  auto bridge = docker({"run", "--rm", "busybox", "sh", "-c", "cat /etc/resolv.conf; netstat -lnu"});
  ASSERT_EQ(bridge.status, 0) << bridge.err;
  EXPECT_EQ(bridge.out.find("127.0.0.11"), std::string::npos) << bridge.out;
  EXPECT_NE(bridge.out.find("options timeout:2"), std::string::npos) << bridge.out;
  auto user = docker({"run", "--rm", "--network", "dnsnet1", "busybox", "netstat", "-lnu"});
  EXPECT_NE(user.out.find("127.0.0.11:53"), std::string::npos) << user.out;
}

TEST_P(ContainerDns, OtherNamesAreForwardedToTheUpstreams) {
  auto r = docker({"run", "--rm", "--network", "dnsnet1", "busybox", "nslookup", "upstream.test"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Address: 192.0.2.7"), std::string::npos) << r.out;
  EXPECT_GT(up.queries(), 0);
  // --dns: those servers instead of the host's, behind the same 127.0.0.11.
  FakeDnsUpstream flag_server(kDnsFlagServer);
  ASSERT_TRUE(flag_server.ok());
  int before = up.queries();
  auto own = docker({"run", "--rm", "--network", "dnsnet1", "--dns", kDnsFlagServer.str(), "busybox", "sh", "-c",
                     "cat /etc/resolv.conf; nslookup upstream.test"});
  EXPECT_EQ(own.status, 0) << own.out << own.err;
  EXPECT_TRUE(own.out.starts_with("nameserver 127.0.0.11\n")) << own.out;
  EXPECT_NE(own.out.find("Address: 192.0.2.7"), std::string::npos) << own.out;
  EXPECT_GT(flag_server.queries(), 0);
  EXPECT_EQ(up.queries(), before);
}

TEST_P(ContainerDns, StoppedContainersStopResolvingAndRmLeavesNothing) {
  int fds = d.fd_count(), threads = thread_count(d.pid());
  run_bg("db", "dnsnet1");
  run_bg("client", "dnsnet1");
  auto found = docker({"exec", "client", "nslookup", "db"});
  EXPECT_EQ(found.status, 0) << found.out << found.err;
  EXPECT_NE(found.out.find("Address: " + ip_of("db", "dnsnet1")), std::string::npos) << found.out;
  ASSERT_EQ(docker({"stop", "-t", "0", "db"}).status, 0);
  auto gone = docker({"exec", "client", "nslookup", "db"});
  EXPECT_NE(gone.status, 0) << gone.out;
  EXPECT_NE(gone.out.find("NXDOMAIN"), std::string::npos) << gone.out;
  ASSERT_EQ(docker({"rm", "-f", "db", "client"}).status, 0);
  // The resolver's sockets and connections of both are closed (the client's HTTP
  // connections close shortly after their replies).
  EXPECT_TRUE(berth::test::wait_until([&] { return d.fd_count() <= fds; }, std::chrono::seconds(10)))
      << "berthd had " << fds << " fds before, " << d.fd_count() << " after";
  EXPECT_TRUE(berth::test::wait_until([&] { return thread_count(d.pid()) <= threads; }, std::chrono::seconds(10)))
      << "berthd had " << threads << " threads before, " << thread_count(d.pid()) << " after";
}

TEST_P(ContainerDns, BerthRunTakesNetworkAlias) {
  if (GetParam() != kDocker28) GTEST_SKIP() << "the berth CLI is checked once";
  run_bg("web", "dnsnet1");
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {berth::test::bin("berth"), "-H", d.host()});
    return berth::test::run(args, "", std::chrono::seconds(120));
  };
  auto r = berth({"run", "-d", "--name", "api", "--network", "dnsnet1", "--network-alias", "backend",
                  "--network-alias", "svc", "busybox", "sleep", "300"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto aliases = docker({"inspect", "-f", "{{json .NetworkSettings.Networks.dnsnet1.Aliases}}", "api"});
  EXPECT_EQ(aliases.out, "[\"backend\",\"svc\"]\n");
  std::string ip = ip_of("api", "dnsnet1");
  auto found = docker({"exec", "web", "nslookup", "svc"});
  EXPECT_NE(found.out.find("Address: " + ip), std::string::npos) << found.out << found.err;
}

TEST_P(ContainerDns, RenameMovesTheName) {
  run_bg("web", "dnsnet1");
  run_bg("client", "dnsnet1");
  std::string ip = ip_of("web", "dnsnet1");
  ASSERT_EQ(docker({"rename", "web", "web2"}).status, 0);
  auto renamed = docker({"exec", "client", "nslookup", "web2"});
  EXPECT_EQ(renamed.status, 0) << renamed.out << renamed.err;
  EXPECT_NE(renamed.out.find("Address: " + ip), std::string::npos) << renamed.out;
  auto old = docker({"exec", "client", "nslookup", "web"});
  EXPECT_NE(old.status, 0) << old.out;
}

TEST_P(ContainerDns, BerthdRestartServesRunningContainersAgain) {
  run_bg("web", "dnsnet1");
  run_bg("client", "dnsnet1");
  std::string ip = ip_of("web", "dnsnet1");
  ASSERT_EQ(d.stop(), 0) << d.log();
  ASSERT_TRUE(d.start()) << d.log();
  auto r = docker({"exec", "client", "nslookup", "web"});
  EXPECT_EQ(r.status, 0) << r.out << r.err << d.log();
  EXPECT_NE(r.out.find("Address: " + ip), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Clients, ContainerDns, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
