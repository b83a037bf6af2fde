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

TEST(NatRules, EmptyTableAndTeardown) {
  auto s = nat_ruleset({});
  EXPECT_EQ(s.find("masquerade"), std::string::npos);
  EXPECT_NE(s.find("add chain ip berth postrouting"), std::string::npos);
  EXPECT_EQ(nat_teardown(), "add table ip berth\ndelete table ip berth\n");
}
