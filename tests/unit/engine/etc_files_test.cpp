#include "engine/etc_files.hpp"

#include <gtest/gtest.h>

using namespace berth::engine;

TEST(EtcFiles, HostsNameTheContainerAndExtraHosts) {
  auto h = hosts_file("c1", "", {"172.17.0.2"}, {{"10.0.0.5", "db"}});
  EXPECT_EQ(h.find("127.0.0.1\tlocalhost\n"), 0u);
  EXPECT_NE(h.find("\n172.17.0.2\tc1\n"), std::string::npos) << h;
  EXPECT_NE(h.find("\n10.0.0.5\tdb\n"), std::string::npos) << h;
  EXPECT_NE(hosts_file("web", "example.org", {"10.1.0.2"}, {}).find("10.1.0.2\tweb.example.org web\n"),
            std::string::npos);
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
