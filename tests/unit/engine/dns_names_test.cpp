// A container's names in the embedded DNS (dockerd's DNSNames order), and the network plan that
// carries its aliases from create to every start.
#include <gtest/gtest.h>

#include "engine/container_network.hpp"
#include "engine/network_service.hpp"

using namespace berth::engine;

TEST(DnsNames, NameAliasesShortIdHostnameWithoutRepeats) {
  std::string id = "0123456789ab" + std::string(52, 'c');
  DnsIdentity who{"web", "0123456789ab", {}};
  EXPECT_EQ(dns_names(id, who, {"frontend", "web", "api"}),
            (std::vector<std::string>{"web", "frontend", "api", "0123456789ab"}));
  who.hostname = "box";
  who.name = "";
  EXPECT_EQ(dns_names(id, who, {}), (std::vector<std::string>{"0123456789ab", "box"}));
}

TEST(DnsNames, PlanKeepsAliasesPerEndpoint) {
  NetworkPlan p;
  p.endpoints = {{"n1", "", "", {"a", "b"}}, {"n2", "10.0.0.5", "02:42:0a:00:00:05", {}}};
  auto back = NetworkPlan::from_json(p.to_json());
  ASSERT_EQ(back.endpoints.size(), 2u);
  EXPECT_EQ(back.endpoints[0].aliases, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(back.endpoints[1].ip, "10.0.0.5");
  EXPECT_EQ(back.endpoints[1].mac, "02:42:0a:00:00:05");
  EXPECT_TRUE(back.endpoints[1].aliases.empty());
  // Plans written before aliases existed still read.
  auto old = NetworkPlan::from_json(nlohmann::json::parse(R"({"mode":"bridge","endpoints":[{"network":"n1","ip":""}]})"));
  ASSERT_EQ(old.endpoints.size(), 1u);
  EXPECT_TRUE(old.endpoints[0].aliases.empty());
}
