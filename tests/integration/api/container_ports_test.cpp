// Published ports with both stock clients against a private berthd: busybox httpd reached from
// the host's loopback, from a container through a host address (hairpin, and from another
// network), -P with EXPOSE, `docker port` and ps's PORTS, a port that is taken (by a container
// or by another program) refused at start with nothing left configured, and bad specs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/host_links.hpp"
#include "common/fd.hpp"
#include "network/nftables.hpp"

using namespace berth::api::test;

namespace {

std::string berth_table() {
  auto nft = berth::network::Nftables::open();
  if (!nft) return "";
  auto t = nft->run("list table ip berth");
  return t ? *t : "";
}

// A listening socket of the test's own on 127.0.0.1:port (another program holding the port).
berth::UniqueFd hold_port(uint16_t port) {
  berth::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd.get(), 1) != 0) return {};
  return fd;
}

const char* kHttpd = "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www";

class ContainerPorts : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_TRUE(berth::test::have_program("curl"));
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
    EXPECT_EQ(berth_table().find("dnat to"), std::string::npos) << "DNAT rules left behind:\n" << berth_table();
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  // curl from the host, retried until the server answers (httpd starts after `run -d` returns).
  std::string fetch(const std::string& url) {
    std::string body;
    berth::test::wait_until([&] {
      auto r = berth::test::run({"curl", "-s", "--max-time", "2", url});
      body = r.out;
      return r.status == 0;
    }, std::chrono::seconds(15));
    return body;
  }
  // An HTTP GET from a new container on net (busybox's static wget crashes resolving the
  // service name without NSS libraries; nc does not need them): the body, or "" on failure.
  std::string fetch_from(const std::string& net, const std::string& host, int port) {
    auto r = docker({"run", "--rm", "--network", net, "busybox", "sh", "-c",
                     "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + host + " " + std::to_string(port)});
    auto body = r.out.find("\r\n\r\n");
    return r.status == 0 && body != std::string::npos ? r.out.substr(body + 4) : "";
  }
  std::string bridge_gateway(const std::string& net) {
    auto gw = docker({"network", "inspect", net, "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"});
    return gw.out.substr(0, gw.out.find('\n'));
  }
  Berthd d;
  int veths_before = 0;
};

}  // namespace

TEST_P(ContainerPorts, HttpdReachedFromLoopbackHostAddressAndOtherContainers) {
  auto web = docker({"run", "-d", "--name", "web", "--hostname", "web", "-p", "127.0.0.1:18080:80", "-p", "18081:80",
                     "busybox", "sh", "-c", kHttpd});
  ASSERT_EQ(web.status, 0) << web.err;
  EXPECT_EQ(fetch("http://127.0.0.1:18080/"), "hello-from-web\n");
  EXPECT_EQ(fetch("http://127.0.0.1:18081/"), "hello-from-web\n");
  std::string gw = bridge_gateway("bridge");
  EXPECT_EQ(fetch("http://" + gw + ":18081/"), "hello-from-web\n") << "through a host address";

  auto port = docker({"port", "web"});
  ASSERT_EQ(port.status, 0) << port.err;
  EXPECT_NE(port.out.find("80/tcp -> 127.0.0.1:18080\n"), std::string::npos) << port.out;
  EXPECT_NE(port.out.find("80/tcp -> 0.0.0.0:18081\n"), std::string::npos) << port.out;
  auto ps = docker({"ps", "--format", "{{.Ports}}", "--filter", "name=web"});
  EXPECT_NE(ps.out.find("127.0.0.1:18080->80/tcp"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("0.0.0.0:18081->80/tcp"), std::string::npos) << ps.out;

  // Hairpin: a container on the same bridge through the host's address; and one on another network.
  EXPECT_EQ(fetch_from("bridge", gw, 18081), "hello-from-web\n");
  ASSERT_EQ(docker({"network", "create", "--subnet", "10.125.7.0/24", "other"}).status, 0);
  EXPECT_EQ(fetch_from("other", "10.125.7.1", 18081), "hello-from-web\n");
  // 18080 is published on 127.0.0.1 only: not through the bridge's address.
  EXPECT_EQ(fetch_from("bridge", gw, 18080), "");
  // The direct path works on the same bridge; the other network cannot reach web's own
  // address: bridges are isolated from each other.
  auto ip = docker({"inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"});
  std::string web_ip = ip.out.substr(0, ip.out.find('\n'));
  EXPECT_EQ(fetch_from("bridge", web_ip, 80), "hello-from-web\n");
  EXPECT_EQ(fetch_from("other", web_ip, 80), "") << "another network reached the container directly";

  ASSERT_EQ(docker({"rm", "-f", "web"}).status, 0);
  auto gone = berth::test::run({"curl", "-s", "--max-time", "2", "http://127.0.0.1:18081/"});
  EXPECT_NE(gone.status, 0) << "still served after rm: " << gone.out;
}

TEST_P(ContainerPorts, PublishAllUsesExposedPortsOnEphemeralHostPorts) {
  auto r = docker({"run", "-d", "--name", "pa", "-P", "--expose", "80", "--expose", "53/udp", "busybox", "sh", "-c", kHttpd});
  ASSERT_EQ(r.status, 0) << r.err;
  auto tcp = docker({"port", "pa", "80"});
  ASSERT_EQ(tcp.status, 0) << tcp.err;
  auto colon = tcp.out.find(':');
  ASSERT_NE(colon, std::string::npos) << tcp.out;
  EXPECT_TRUE(tcp.out.starts_with("0.0.0.0:")) << tcp.out;
  int host_port = std::stoi(tcp.out.substr(colon + 1));
  EXPECT_GE(host_port, 1024) << tcp.out;
  EXPECT_EQ(fetch("http://127.0.0.1:" + std::to_string(host_port) + "/"), "hello-from-" + r.out.substr(0, 12) + "\n");
  auto udp = docker({"port", "pa", "53/udp"});
  EXPECT_EQ(udp.status, 0) << udp.err;
  EXPECT_TRUE(udp.out.starts_with("0.0.0.0:")) << udp.out;
  auto ps = docker({"inspect", "-f", "{{json .NetworkSettings.Ports}}", "pa"});
  EXPECT_NE(ps.out.find("\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"" + std::to_string(host_port) + "\"}]"),
            std::string::npos) << ps.out;
  // Stopped, it publishes nothing and the port is free for others.
  ASSERT_EQ(docker({"stop", "-t", "0", "pa"}).status, 0);
  EXPECT_EQ(docker({"port", "pa"}).out, "");
  EXPECT_TRUE(hold_port(static_cast<uint16_t>(host_port))) << "port " << host_port << " still held after stop";
}

TEST_P(ContainerPorts, TakenPortsAreRefusedAtStartAndLeaveNothing) {
  ASSERT_EQ(docker({"run", "-d", "--name", "first", "-p", "18082:80", "busybox", "sleep", "1000"}).status, 0);
  int veths = veths_settle_at(veths_before + 1);
  auto table = berth_table();
  auto second = docker({"run", "-d", "--name", "second", "-p", "18082:80", "busybox", "sleep", "1000"});
  EXPECT_NE(second.status, 0);
  EXPECT_NE(second.err.find("Bind for 0.0.0.0:18082 failed: port is already allocated"), std::string::npos) << second.err;
  EXPECT_EQ(veths_settle_at(veths), veths) << "a refused start left a veth";
  EXPECT_EQ(berth_table(), table) << "a refused start changed the table";
  EXPECT_EQ(docker({"inspect", "-f", "{{.State.Status}}", "second"}).out, "created\n");

  auto held = hold_port(18083);
  ASSERT_TRUE(held);
  auto third = docker({"run", "-d", "--name", "third", "-p", "127.0.0.1:18083:80", "busybox", "sleep", "1000"});
  EXPECT_NE(third.status, 0);
  EXPECT_NE(third.err.find("127.0.0.1:18083"), std::string::npos) << third.err;
  EXPECT_EQ(veths_settle_at(veths), veths);
  EXPECT_EQ(berth_table(), table);
  // Once the port is free the same container starts.
  held.reset();
  auto retry = docker({"start", "third"});
  EXPECT_EQ(retry.status, 0) << retry.err;
}

// berthd dies (kill -9) while a published container runs: the next berthd holds its port again
// and keeps the DNAT, and the port is freed when the container goes.
TEST_P(ContainerPorts, PortsAreKeptAcrossABerthdCrash) {
  if (GetParam() != kDocker28) GTEST_SKIP() << "client-independent";
  ASSERT_EQ(docker({"run", "-d", "--name", "kept", "--hostname", "kept", "-p", "18084:80", "busybox", "sh", "-c", kHttpd}).status, 0);
  EXPECT_EQ(fetch("http://127.0.0.1:18084/"), "hello-from-kept\n");
  d.kill9();
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_FALSE(hold_port(18084)) << "the restarted berthd does not hold the port";
  EXPECT_EQ(fetch("http://127.0.0.1:18084/"), "hello-from-kept\n");
  EXPECT_EQ(docker({"port", "kept"}).out, "80/tcp -> 0.0.0.0:18084\n");
  ASSERT_EQ(docker({"rm", "-f", "kept"}).status, 0);
  EXPECT_TRUE(hold_port(18084)) << "port still held after rm";
}

TEST_P(ContainerPorts, BadSpecsAreRefused) {
  auto big = docker({"run", "--rm", "-p", "70000:80", "busybox", "true"});
  EXPECT_EQ(big.status, 125);
  EXPECT_NE(big.err.find("70000"), std::string::npos) << big.err;
  auto word = docker({"run", "--rm", "-p", "abc", "busybox", "true"});
  EXPECT_EQ(word.status, 125);
  EXPECT_NE(word.err.find("abc"), std::string::npos) << word.err;
  // Straight to the API, past the client's checks: dockerd's 400 and message, nothing created.
  auto raw = raw_request(d.socket_path(), "POST", "/containers/create",
                         R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"70000"}]}}})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_NE(raw.body.find("invalid port specification: \\\"70000\\\""), std::string::npos) << raw.body;
  auto key = raw_request(d.socket_path(), "POST", "/containers/create",
                         R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":{"http/tcp":[{"HostPort":"80"}]}}})");
  EXPECT_EQ(key.status, 400) << key.body;
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
}

INSTANTIATE_TEST_SUITE_P(Clients, ContainerPorts, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
