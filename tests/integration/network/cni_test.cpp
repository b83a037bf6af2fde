// Debian's real CNI plugins (bridge with host-local IPAM, portmap, loopback) run by the runner
// for a "pod" network namespace. Everything runs inside a network namespace of the test's own,
// standing in for the host: the plugins configure the namespace they are started in, so the
// bridge, its veths and the iptables rules of ipMasq and portmap never touch the real host's,
// and they all go away with that namespace.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/fd.hpp"
#include "network/cni_runner.hpp"
#include "network/netns.hpp"
#include "support/support.hpp"

using namespace berth;
using namespace berth::network;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPluginDir = "/usr/lib/cni";

// Runs fn on a thread that entered the namespace at fd; the plugins it starts are born there.
template <class F>
void in_netns(int fd, F fn) {
  std::thread t([&] {
    if (setns(fd, CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "setns: " << strerror(errno);
      return;
    }
    fn();
  });
  t.join();
}

// A socket made in a namespace stays there: made on a passing thread, used from this one.
UniqueFd socket_in(int netns_fd) {
  UniqueFd s;
  in_netns(netns_fd, [&] { s = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
  return s;
}

sockaddr_in inet(const std::string& ip, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

class CniPlugins : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(std::string(kPluginDir) + "/bridge")) GTEST_SKIP() << "containernetworking-plugins is not installed";
    host_ns = tmp / "host-ns";
    pod_ns = tmp / "pod-ns";
    ASSERT_TRUE(create_netns(host_ns));
    ASSERT_TRUE(create_netns(pod_ns));
    host_fd = *open_netns(host_ns);
    pod_fd = *open_netns(pod_ns);
    opts.plugin_dirs = {kPluginDir};
    opts.cache_dir = tmp / "cache";
    opts.plugin_timeout = std::chrono::seconds(30);
    attach.container_id = "berthcnitestpod";
    attach.netns = pod_ns;
    attach.args = {{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web"}};
  }
  void TearDown() override {
    host_fd.reset();
    pod_fd.reset();
    if (!pod_ns.empty()) remove_netns(pod_ns);
    if (!host_ns.empty()) remove_netns(host_ns);
  }

  CniNetworkList pod_network(const std::string& subnet) {
    json conf = {{"cniVersion", "1.0.0"},
                 {"name", "berth-cni-test"},
                 {"plugins",
                  {{{"type", "bridge"},
                    {"bridge", "cnitest0"},
                    {"isGateway", true},
                    {"ipMasq", true},
                    {"hairpinMode", true},
                    {"ipam",
                     {{"type", "host-local"},
                      {"dataDir", tmp / "ipam"},
                      {"ranges", {{{{"subnet", subnet}}}}},
                      {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
                   {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    auto r = parse_cni_conflist(conf.dump(), "test");
    EXPECT_TRUE(r) << r.error().what();
    return *r;
  }
  test::CmdResult in_pod(std::vector<std::string> argv) { return in(pod_ns, std::move(argv)); }
  test::CmdResult in_host(std::vector<std::string> argv) { return in(host_ns, std::move(argv)); }
  test::CmdResult in(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"nsenter", "--net=" + ns});
    return test::run(argv, "", std::chrono::seconds(20));
  }
  template <class T>
  T run_in_host(const std::function<T()>& fn) {
    std::optional<T> out;
    in_netns(host_fd.get(), [&] { out.emplace(fn()); });
    if (!out) throw std::runtime_error("could not enter the test namespace");
    return std::move(*out);
  }

  test::TempDir tmp{"berth-cni"};
  std::string host_ns, pod_ns;
  UniqueFd host_fd, pod_fd;
  CniOptions opts;
  CniAttachment attach;
};

}  // namespace

TEST_F(CniPlugins, BridgeHostLocalAndPortmapAttachAPodAndDetachIt) {
  CniRunner runner(pod_network("10.77.0.0/24"), opts);
  attach.capability_args = {{"portMappings", cni_port_mappings({{18080, 80, "tcp", ""}})}};
  auto added = run_in_host<Result<CniResult>>([&] { return runner.add(attach); });
  ASSERT_TRUE(added) << added.error().what();

  // The result: the pod's eth0 with an address of the range, the gateway, the default route.
  auto ips = added->sandbox_ips("eth0");
  ASSERT_EQ(ips.size(), 1u) << cni_result_json(*added, "1.0.0").dump();
  const std::string pod_ip = ips[0];
  EXPECT_EQ(pod_ip.rfind("10.77.0.", 0), 0u) << pod_ip;
  EXPECT_NE(pod_ip, "10.77.0.1") << "the gateway is not handed out";
  EXPECT_EQ(added->ips[0].gateway, "10.77.0.1");

  // The pod's namespace: eth0 with that address, a default route through the bridge.
  auto addr = in_pod({"ip", "-4", "-o", "addr", "show", "dev", "eth0"});
  EXPECT_NE(addr.out.find("inet " + pod_ip + "/24"), std::string::npos) << addr.out << addr.err;
  auto route = in_pod({"ip", "-4", "route", "show", "default"});
  EXPECT_NE(route.out.find("default via 10.77.0.1 dev eth0"), std::string::npos) << route.out << route.err;
  // The bridge is in the test's namespace, not the host's.
  EXPECT_EQ(in_host({"ip", "link", "show", "cnitest0"}).status, 0);
  EXPECT_NE(test::run({"ip", "link", "show", "cnitest0"}).status, 0) << "the bridge leaked into the host's namespace";
  EXPECT_TRUE(fs::exists(tmp / "ipam/berth-cni-test/" + pod_ip)) << "host-local records the address in dataDir";

  // The pod reaches its gateway.
  auto ping = in_pod({"busybox", "ping", "-c", "1", "-W", "5", "10.77.0.1"});
  EXPECT_EQ(ping.status, 0) << ping.out << ping.err;

  // hostPort 18080 on the test namespace's addresses (the bridge's and loopback, which portmap
  // masquerades) reaches a listener on the pod's port 80.
  for (const char* host_addr : {"10.77.0.1", "127.0.0.1"}) {
    SCOPED_TRACE(host_addr);
    UniqueFd listener = socket_in(pod_fd.get());
    auto any = inet("0.0.0.0", 80);
    int one = 1;  // the previous round's connection may be in TIME_WAIT
    setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&any), sizeof any), 0) << strerror(errno);
    ASSERT_EQ(listen(listener.get(), 4), 0);
    UniqueFd client = socket_in(host_fd.get());
    timeval tv{10, 0};
    setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto dst = inet(host_addr, 18080);
    ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0)
        << "connect to the hostPort: " << strerror(errno) << "\n" << in_host({"iptables-save", "-t", "nat"}).out;
    pollfd p{listener.get(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 10000), 1) << "the connection did not reach the pod's listener";
    UniqueFd conn(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(conn);
    ASSERT_EQ(write(conn.get(), "hello", 5), 5);
    char buf[8] = {};
    EXPECT_EQ(read(client.get(), buf, sizeof buf), 5);
    EXPECT_STREQ(buf, "hello");
  }

  EXPECT_NE(in_host({"iptables-save", "-t", "nat"}).out.find("dport 18080"), std::string::npos) << "no hostPort rule";

  // CHECK agrees with what ADD made. portmap 1.1's CHECK looks for ip6tables rules it never
  // made for an IPv4-only pod (containernetworking/plugins#819), so bridge alone is checked.
  auto bridge_only = pod_network("10.77.0.0/24");
  bridge_only.plugins.pop_back();
  auto checked = run_in_host<Result<>>([&] { return CniRunner(bridge_only, opts).check(attach); });
  EXPECT_TRUE(checked) << checked.error().what();

  // DEL from a fresh runner (as after a restart): the veth pair and the address are released.
  CniRunner after_restart(pod_network("10.77.0.0/24"), opts);
  auto del = run_in_host<Result<>>([&] { return after_restart.del(attach); });
  ASSERT_TRUE(del) << del.error().what();
  EXPECT_NE(in_pod({"ip", "link", "show", "eth0"}).status, 0) << "eth0 is still in the pod";
  auto veths = in_host({"ip", "-o", "link", "show", "type", "veth"});
  EXPECT_EQ(veths.out, "") << "a veth is left in the test namespace";
  EXPECT_FALSE(fs::exists(tmp / "ipam/berth-cni-test/" + pod_ip)) << "the address was not released";
  EXPECT_FALSE(fs::exists(opts.cache_dir + "/berth-cni-test-berthcnitestpod-eth0"));
  auto nat = in_host({"iptables-save", "-t", "nat"});
  EXPECT_EQ(nat.out.find("dport 18080"), std::string::npos) << "the hostPort rule is left:\n" << nat.out;

  // A second DEL is harmless.
  auto again = run_in_host<Result<>>([&] { return after_restart.del(attach); });
  EXPECT_TRUE(again) << again.error().what();
}

TEST_F(CniPlugins, LoopbackBringsUpTheSandboxesLo) {
  ASSERT_EQ(in_pod({"ip", "link", "set", "lo", "down"}).status, 0);
  CniRunner runner(cni_loopback_network(), opts);
  attach.ifname = "lo";
  auto added = run_in_host<Result<CniResult>>([&] { return runner.add(attach); });
  ASSERT_TRUE(added) << added.error().what();
  auto lo = in_pod({"ip", "-o", "link", "show", "lo"});
  EXPECT_NE(lo.out.find(",UP"), std::string::npos) << lo.out;
  EXPECT_EQ(added->sandbox_ips("lo").at(0), "127.0.0.1");
  auto del = run_in_host<Result<>>([&] { return runner.del(attach); });
  EXPECT_TRUE(del) << del.error().what();
}

TEST_F(CniPlugins, APluginErrorNamesThePluginAndLeavesNothing) {
  // A /30 has a single address for pods: the second pod's ADD fails in host-local, via bridge.
  CniRunner runner(pod_network("10.78.0.0/30"), opts);
  auto first = run_in_host<Result<CniResult>>([&] { return runner.add(attach); });
  ASSERT_TRUE(first) << first.error().what();

  std::string pod2_ns = tmp / "pod2-ns";
  ASSERT_TRUE(create_netns(pod2_ns));
  CniAttachment second = attach;
  second.container_id = "berthcnitestpod2";
  second.netns = pod2_ns;
  auto failed = run_in_host<Result<CniResult>>([&] { return runner.add(second); });
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().what().find("cni network berth-cni-test: ADD berthcnitestpod2: cni plugin bridge: ADD failed: "),
            std::string::npos)
      << failed.error().what();
  EXPECT_NE(failed.error().what().find("no IP addresses available"), std::string::npos) << failed.error().what();
  EXPECT_NE(in(pod2_ns, {"ip", "link", "show", "eth0"}).status, 0) << "the failed ADD left eth0 in the pod";
  EXPECT_FALSE(fs::exists(opts.cache_dir + "/berth-cni-test-berthcnitestpod2-eth0"));
  remove_netns(pod2_ns);

  auto del = run_in_host<Result<>>([&] { return runner.del(attach); });
  EXPECT_TRUE(del) << del.error().what();
}

TEST_F(CniPlugins, AMissingPluginIsAClearError) {
  auto list = parse_cni_conflist(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"loopback"},{"type":"no-such-plugin"}]})", "test");
  ASSERT_TRUE(list);
  CniRunner runner(*list, opts);
  auto r = run_in_host<Result<CniResult>>([&] { return runner.add(attach); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "cni network n: ADD berthcnitestpod: cni plugin no-such-plugin not found in /usr/lib/cni");
}
