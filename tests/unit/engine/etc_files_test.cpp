#include "engine/etc_files.hpp"

#include <gtest/gtest.h>

using namespace berth::engine;

TEST(EtcFiles, HostsNameTheContainerAndExtraHosts) {
  auto h = hosts_file("c1", "", {"172.17.0.2"}, {{"10.0.0.5", "db"}});
  EXPECT_EQ(h.find("127.0.0.1\tlocalhost\n"), 0u);
  EXPECT_NE(h.find("\n172.17.0.2\tc1\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\n10.0.0.5\tdb\n"), std::string::npos) << h;
  EXPECT_LT(h.find("10.0.0.5\tdb"), h.find("172.17.0.2\tc1")) << "extra hosts come first, as dockerd writes them\n" << h;
  EXPECT_NE(hosts_file("web", "example.org", {"10.1.0.2"}, {}).find("10.1.0.2\tweb.example.org web\n"),
            std::string::npos);
}

TEST(EtcFiles, ExtraHostsWithHostGatewayAndDockerdsErrors) {
  nlohmann::json hc = {{"ExtraHosts", {"db:10.0.0.5", "gw:host-gateway", "v6=::1", "b:[fe80::1]"}}};
  auto e = extra_hosts(hc, "172.17.0.1");
  ASSERT_TRUE(e) << e.error().what();
  ASSERT_EQ(e->size(), 4u);
  EXPECT_EQ((*e)[0].ip + " " + (*e)[0].names, "10.0.0.5 db");
  EXPECT_EQ((*e)[1].ip + " " + (*e)[1].names, "172.17.0.1 gw");
  EXPECT_EQ((*e)[2].ip + " " + (*e)[2].names, "::1 v6");
  EXPECT_EQ((*e)[3].ip + " " + (*e)[3].names, "fe80::1 b");
  EXPECT_TRUE(extra_hosts(nlohmann::json::object(), "")->empty());
  auto bad = extra_hosts({{"ExtraHosts", {"db:10.0.0"}}}, "172.17.0.1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid IP address in add-host: \"10.0.0\"");
  auto format = extra_hosts({{"ExtraHosts", {"nohost"}}}, "172.17.0.1");
  ASSERT_FALSE(format);
  EXPECT_EQ(format.error().message, "bad format for add-host: \"nohost\"");
}

TEST(EtcFiles, ResolvConfDropsLoopbackServersAndAppliesOverrides) {
  std::string host = "# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n";
  EXPECT_EQ(resolv_conf(host, {}), "nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n");
  // Only the host's own resolver: Docker's public defaults stand in.
  EXPECT_EQ(resolv_conf("nameserver 127.0.0.53\n", {}), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  DnsSettings d{{"1.1.1.1"}, {"a.example", "b.example"}, {"ndots:2"}};
  EXPECT_EQ(resolv_conf(host, d), "nameserver 1.1.1.1\nsearch a.example b.example\noptions ndots:2\n");
  EXPECT_EQ(resolv_conf(host, {{}, {"."}, {}}), "nameserver 10.0.0.2\noptions edns0\n");
}

TEST(EtcFiles, EmbeddedResolvConfPointsAtTheResolverWithNdotsZero) {
  std::string host = "nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\noptions edns0\n";
  EXPECT_EQ(embedded_resolv_conf(host, {}), "nameserver 127.0.0.11\nsearch corp.example\noptions ndots:0 edns0\n");
  EXPECT_EQ(embedded_resolv_conf("", {}), "nameserver 127.0.0.11\noptions ndots:0\n");
  // --dns names the upstreams, not the file's nameserver; a given ndots stands.
  DnsSettings d{{"1.1.1.1"}, {"a.example"}, {"ndots:3", "timeout:1"}};
  EXPECT_EQ(embedded_resolv_conf(host, d), "nameserver 127.0.0.11\nsearch a.example\noptions ndots:3 timeout:1\n");
  EXPECT_EQ(embedded_resolv_conf(host, {{}, {"."}, {}}), "nameserver 127.0.0.11\noptions ndots:0 edns0\n");
}
