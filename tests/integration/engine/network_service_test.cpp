// The network service on real links, inside a network namespace of the test's own (so berth's
// bridge, veths, nftables table and ip_forward are the test namespace's, never the host's).
#include "engine/network_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "network/netlink.hpp"
#include "network/netns.hpp"
#include "network/nftables.hpp"
#include "support/netns_thread.hpp"

using namespace berth;
using namespace berth::engine;
using berth::network::Netlink;
using berth::network::test::in_fresh_netns;

namespace {

#define TRY_OK(expr)                                                     \
  ({                                                                     \
    auto&& _r = (expr);                                                  \
    if (!_r) return std::string(#expr ": ") + _r.error().what();         \
    std::move(*_r);                                                      \
  })
#define CHECK_OK(expr)                                                   \
  do {                                                                   \
    auto&& _r = (expr);                                                  \
    if (!_r) return std::string(#expr ": ") + _r.error().what();         \
  } while (0)
#define EXPECT_THAT_(cond, msg) \
  if (!(cond)) return std::string(msg)

struct Roots {
  std::string dir;
  Roots() {
    char tmpl[] = "/tmp/berth-netsvc-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~Roots() { std::filesystem::remove_all(dir); }
  NetworkServiceOptions options() const {
    NetworkServiceOptions o;
    o.data_root = dir + "/data";
    o.exec_root = dir + "/run";
    return o;
  }
};

NetworkCreate net(const std::string& name, const std::string& subnet = "") {
  NetworkCreate c;
  c.name = name;
  c.subnet = subnet;
  return c;
}

bool has_link(Netlink& nl, const std::string& name) { return bool(nl.link(name)); }

}  // namespace

TEST(NetworkService, DefaultBridgeUserNetworksAttachDetachAndShutdown) {
  Roots roots;
  std::filesystem::create_directories(roots.dir + "/data");
  auto failure = in_fresh_netns([&]() -> std::string {
    auto svc = TRY_OK(NetworkService::open(roots.options()));
    CHECK_OK(svc->restore({}));
    auto nets = TRY_OK(svc->list());
    EXPECT_THAT_(nets.size() == 3, "expected bridge, host and none");
    auto bridge = TRY_OK(svc->find("bridge"));
    EXPECT_THAT_(bridge.subnet == "172.17.0.0/16" && bridge.gateway == "172.17.0.1",
                 "default bridge on " + bridge.subnet + " via " + bridge.gateway);
    auto nl = TRY_OK(Netlink::open());
    auto br = TRY_OK(nl.link("berth0"));
    EXPECT_THAT_(br.up && br.kind == "bridge", "berth0 is not an up bridge");
    auto nft = TRY_OK(network::Nftables::open());
    auto table = TRY_OK(nft.run("list table ip berth"));
    EXPECT_THAT_(table.find("172.17.0.0/16") != std::string::npos, "no masquerade rule:\n" + table);

    auto mynet = TRY_OK(svc->create(net("mynet", "10.77.0.0/24")));
    EXPECT_THAT_(mynet.gateway == "10.77.0.1" && mynet.bridge == "br-" + mynet.id.substr(0, 12), "mynet's settings");
    auto dup = svc->create(net("mynet"));
    EXPECT_THAT_(!dup && dup.error().kind == ErrorKind::Conflict, "a second mynet was not refused with 409");
    auto overlap = svc->create(net("other", "10.77.0.128/25"));
    EXPECT_THAT_(!overlap && overlap.error().message == "Pool overlaps with other one on this address space",
                 "overlapping subnet not refused");
    auto auto_net = TRY_OK(svc->create(net("auto")));
    EXPECT_THAT_(auto_net.subnet == "172.18.0.0/16", "auto network on " + auto_net.subnet);

    auto c1 = TRY_OK(svc->attach("c1", {{"bridge", ""}, {"mynet", ""}}));
    EXPECT_THAT_(c1.size() == 2 && c1[0].ip == "172.17.0.2" && c1[1].ip == "10.77.0.2" && c1[0].mac == "02:42:ac:11:00:02",
                 "c1's addresses");
    auto c2 = TRY_OK(svc->attach("c2", {{"mynet", "10.77.0.9"}}));
    auto clash = svc->attach("c3", {{"mynet", "10.77.0.9"}});
    EXPECT_THAT_(!clash && clash.error().kind == ErrorKind::Conflict, "a taken --ip was not refused with 409");
    EXPECT_THAT_(!std::filesystem::exists(svc->netns_path("c3")), "a failed attach left its namespace");

    auto nsfd = TRY_OK(network::open_netns(svc->netns_path("c1")));
    auto inside = TRY_OK(Netlink::open_in(nsfd.get()));
    auto links = TRY_OK(inside.links());
    EXPECT_THAT_(links.size() == 3, "c1 should see lo, eth0 and eth1");
    auto routes = TRY_OK(inside.route_prefixes());
    EXPECT_THAT_(std::ranges::count(routes, *network::Ipv4Prefix::parse("10.77.0.0/24")) == 1, "no route to mynet");
    auto veth = TRY_OK(nl.link(c1[0].host_link));
    EXPECT_THAT_(veth.master == br.index, "c1's first veth is not on berth0");

    auto busy = svc->remove("mynet");
    EXPECT_THAT_(!busy && busy.error().http_status() == 403, "removing a network in use was not refused with 403");
    auto builtin = svc->remove("bridge");
    EXPECT_THAT_(!builtin && builtin.error().http_status() == 403, "removing the predefined bridge was not refused");

    CHECK_OK(svc->detach("c1"));
    CHECK_OK(svc->detach("c2"));
    EXPECT_THAT_(svc->container_endpoints("c1")->empty(), "a detached container still shows endpoints");
    svc->settle();  // the veths go in the background
    EXPECT_THAT_(!has_link(nl, c1[0].host_link) && !has_link(nl, c1[1].host_link) && !has_link(nl, c2[0].host_link),
                 "veths left after detach");
    EXPECT_THAT_(!std::filesystem::exists(svc->netns_path("c1")), "c1's namespace left after detach");
    // Released: the next container gets the first address again.
    auto c4 = TRY_OK(svc->attach("c4", {{"mynet", ""}}));
    EXPECT_THAT_(c4[0].ip == "10.77.0.2", "released address not reused: " + c4[0].ip);
    CHECK_OK(svc->detach("c4"));

    CHECK_OK(svc->remove("mynet"));
    CHECK_OK(svc->remove(auto_net.id.substr(0, 10)));
    EXPECT_THAT_(!has_link(nl, mynet.bridge) && !has_link(nl, auto_net.bridge), "bridges left after network removal");
    svc->shutdown({});
    EXPECT_THAT_(!has_link(nl, "berth0"), "berth0 left at shutdown with no container on it");
    EXPECT_THAT_(!nft.run("list table ip berth"), "berth's table left at shutdown");
    return "";
  });
  EXPECT_EQ(failure, "");
}

TEST(NetworkService, ParallelAttachesNeverShareAnAddressAndRestartReconciles) {
  Roots roots;
  std::filesystem::create_directories(roots.dir + "/data");
  auto failure = in_fresh_netns([&]() -> std::string {
    std::set<std::string> ips;
    {
      auto svc = TRY_OK(NetworkService::open(roots.options()));
      CHECK_OK(svc->restore({}));
      CHECK_OK(svc->create(net("par", "10.88.0.0/24")));
      std::mutex mu;
      std::vector<std::string> errors;
      std::vector<std::thread> threads;
      for (int t = 0; t < 10; ++t)
        threads.emplace_back([&, t] {
          // Threads inherit the test's namespace: every attach happens in it.
          for (int i = 0; i < 5; ++i) {
            auto a = svc->attach("p" + std::to_string(t * 5 + i), {{"par", ""}});
            std::lock_guard lk(mu);
            if (!a) errors.push_back(a.error().what());
            else ips.insert((*a)[0].ip);
          }
        });
      for (auto& th : threads) th.join();
      EXPECT_THAT_(errors.empty(), "attach failed: " + errors.front());
      EXPECT_THAT_(ips.size() == 50, "duplicate addresses: " + std::to_string(ips.size()) + " distinct of 50");
      // berthd "crashes" here: nothing is detached.
    }
    auto svc = TRY_OK(NetworkService::open(roots.options()));
    CHECK_OK(svc->restore({"p0"}));  // only p0 still runs
    svc->settle();
    auto nl = TRY_OK(Netlink::open());
    auto links = TRY_OK(nl.links());
    auto veths = std::ranges::count_if(links, [](auto& l) { return l.kind == "veth"; });
    EXPECT_THAT_(veths == 1, "restore left " + std::to_string(veths) + " veths, expected p0's only");
    EXPECT_THAT_(!std::filesystem::exists(svc->netns_path("p1")), "a stopped container's namespace survived restore");
    auto eps = TRY_OK(svc->endpoints(TRY_OK(svc->find("par")).id));
    EXPECT_THAT_(eps.size() == 1 && eps[0].container_id == "p0", "endpoints not reconciled");
    auto next = TRY_OK(svc->attach("q", {{"par", ""}}));
    EXPECT_THAT_(next[0].ip != eps[0].ip, "p0's address handed out again");
    CHECK_OK(svc->detach("q"));
    CHECK_OK(svc->detach("p0"));
    svc->shutdown({});
    return "";
  });
  EXPECT_EQ(failure, "");
}

// dockerd (through iptables-nft) sets the filter table's FORWARD policy to DROP: berth's
// bridges get exactly one accept rule per direction there, gone with their network and at
// shutdown; the other engine's rules and policy stay as they were.
TEST(NetworkService, ForwardDropPolicyOfAnotherEngineLetsBerthBridgesThrough) {
  Roots roots;
  std::filesystem::create_directories(roots.dir + "/data");
  auto failure = in_fresh_netns([&]() -> std::string {
    auto nft = TRY_OK(network::Nftables::open());
    CHECK_OK(nft.run("add table ip filter\n"
                     "add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }\n"
                     "add chain ip filter DOCKER-USER\n"
                     "add rule ip filter FORWARD jump DOCKER-USER\n"));
    auto chain = [&]() -> std::string {
      auto r = nft.run("list chain ip filter FORWARD");
      return r ? *r : "";
    };
    auto svc = TRY_OK(NetworkService::open(roots.options()));
    CHECK_OK(svc->restore({}));
    auto mynet = TRY_OK(svc->create(net("mynet", "10.78.0.0/24")));
    auto text = chain();
    for (std::string rule : {std::string("iifname \"berth0\" accept comment \"berth\""), std::string("oifname \"berth0\" accept comment \"berth\""),
                      "iifname \"" + mynet.bridge + "\" accept comment \"berth\"",
                      "oifname \"" + mynet.bridge + "\" accept comment \"berth\""})
      EXPECT_THAT_(text.find(rule) != std::string::npos, "missing " + rule + ":\n" + text);
    EXPECT_THAT_(text.find("policy drop") != std::string::npos && text.find("jump DOCKER-USER") != std::string::npos,
                 "the other engine's chain was changed:\n" + text);
    CHECK_OK(svc->remove("mynet"));
    text = chain();
    EXPECT_THAT_(text.find(mynet.bridge) == std::string::npos, "rules of a removed network left:\n" + text);
    EXPECT_THAT_(text.find("\"berth0\"") != std::string::npos, "berth0's rules went with another network:\n" + text);
    svc->shutdown({});
    text = chain();
    EXPECT_THAT_(text.find("berth") == std::string::npos, "berth rules left at shutdown:\n" + text);
    EXPECT_THAT_(text.find("policy drop") != std::string::npos && text.find("jump DOCKER-USER") != std::string::npos,
                 "the other engine's chain was changed:\n" + text);
    return "";
  });
  EXPECT_EQ(failure, "");
}
