#include "engine/nat_rules.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace berth::engine;

TEST(NatRules, MasqueradesEachBridgeAndIsolatesInternalOnes) {
  auto s = nat_ruleset({{"berth0", "172.17.0.0/16", false}, {"br-int", "10.9.0.0/24", true}});
  // Rebuilt whole: the flush comes first, in the same transaction.
  EXPECT_EQ(s.find("add table ip berth\nflush table ip berth\n"), 0u) << s;
  EXPECT_NE(s.find("ip saddr 172.17.0.0/16 oifname != \"berth0\" masquerade"), std::string::npos) << s;
  EXPECT_EQ(s.find("10.9.0.0/24"), std::string::npos) << "an internal network is not masqueraded:\n" << s;
  EXPECT_NE(s.find("iifname \"br-int\" oifname != \"br-int\" drop"), std::string::npos) << s;
  // Every command acts on berth's own table and nothing else.
  std::istringstream lines(s);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string verb, object, family, table;
    words >> verb >> object >> family >> table;
    EXPECT_EQ(family + " " + table, "ip berth") << line;
  }
}

TEST(NatRules, InternalIsolationComesBeforeAnyAccept) {
  auto s = nat_ruleset({{"berth0", "172.17.0.0/16", false}, {"br-int", "10.9.0.0/24", true}});
  EXPECT_LT(s.find("iifname \"br-int\" oifname != \"br-int\" drop"), s.find("accept\n")) << s;
}

TEST(NatRules, EmptyTableAndTeardown) {
  auto s = nat_ruleset({});
  EXPECT_EQ(s.find("masquerade"), std::string::npos);
  EXPECT_NE(s.find("add chain ip berth postrouting"), std::string::npos);
  EXPECT_EQ(nat_teardown(), "add table ip berth\ndelete table ip berth\n");
}

TEST(NatRules, PublishedPortsAreDnatedForTheHostsOwnAddresses) {
  auto s = nat_ruleset({{"berth0", "172.17.0.0/16", false}},
                       {{"tcp", "0.0.0.0", 18081, "172.17.0.2", 80}, {"udp", "127.0.0.1", 5353, "172.17.0.3", 53}});
  EXPECT_NE(s.find("add rule ip berth prerouting fib daddr type local jump publish"), std::string::npos) << s;
  EXPECT_NE(s.find("add rule ip berth output fib daddr type local jump publish"), std::string::npos) << s;
  EXPECT_NE(s.find("add rule ip berth publish tcp dport 18081 dnat to 172.17.0.2:80\n"), std::string::npos) << s;
  EXPECT_NE(s.find("add rule ip berth publish ip daddr 127.0.0.1 udp dport 5353 dnat to 172.17.0.3:53\n"),
            std::string::npos) << s;
  // Loopback and hairpin traffic to a published port is masqueraded onto the bridge.
  EXPECT_NE(s.find("oifname \"berth0\" ip saddr 127.0.0.0/8 masquerade"), std::string::npos) << s;
  EXPECT_NE(s.find("oifname \"berth0\" iifname \"berth0\" ct status dnat masquerade"), std::string::npos) << s;
  // Into the bridge: only its own traffic, replies, and published ports.
  auto accept = s.find("forward oifname \"berth0\" iifname != \"berth0\" ct status dnat accept\n");
  auto drop = s.find("forward oifname \"berth0\" iifname != \"berth0\" ct state new drop\n");
  ASSERT_NE(accept, std::string::npos) << s;
  ASSERT_NE(drop, std::string::npos) << s;
  EXPECT_LT(accept, drop) << s;
}
