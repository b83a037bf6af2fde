#include "engine/port_bindings.hpp"

#include <gtest/gtest.h>

using namespace berth::engine;
using nlohmann::json;

TEST(PortBindings, BindingsRangesAndEphemeralPorts) {
  json hc = {{"PortBindings",
              {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", "8080"}}, {{"HostIp", ""}, {"HostPort", "8000-8010"}}}},
               {"53/udp", {{{"HostIp", "0.0.0.0"}, {"HostPort", ""}}}}}}};
  auto r = port_requests(hc, {});
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (PortRequest{"udp", 53, "", 0, 0}));
  EXPECT_EQ((*r)[1], (PortRequest{"tcp", 80, "127.0.0.1", 8080, 8080}));
  EXPECT_EQ((*r)[2], (PortRequest{"tcp", 80, "", 8000, 8010}));
  EXPECT_EQ(PortRequest::from_json((*r)[2].to_json()), (*r)[2]);
}

TEST(PortBindings, PublishAllAddsExposedPortsWithoutBindings) {
  json hc = {{"PublishAllPorts", true}, {"PortBindings", {{"80/tcp", {{{"HostPort", "8080"}}}}}}};
  auto r = port_requests(hc, {"80/tcp", "443/tcp", "53/udp"});
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (PortRequest{"udp", 53, "", 0, 0}));
  EXPECT_EQ((*r)[1], (PortRequest{"tcp", 80, "", 8080, 8080})) << "the explicit binding wins";
  EXPECT_EQ((*r)[2], (PortRequest{"tcp", 443, "", 0, 0}));
  EXPECT_TRUE(port_requests(json{{"PublishAllPorts", false}}, {"80/tcp"})->empty());
}

TEST(PortBindings, BadSpecsGetDockerdsMessage) {
  auto err = [](json hc) {
    auto r = port_requests(hc, {});
    return r ? std::string("accepted") : r.error().message;
  };
  EXPECT_EQ(err({{"PortBindings", {{"80/tcp", {{{"HostPort", "70000"}}}}}}}), "invalid port specification: \"70000\"");
  EXPECT_EQ(err({{"PortBindings", {{"80/tcp", {{{"HostPort", "90-80"}}}}}}}), "invalid port specification: \"90-80\"");
  EXPECT_EQ(err({{"PortBindings", {{"http/tcp", {{{"HostPort", "80"}}}}}}}), "invalid port specification: \"http\"");
  EXPECT_EQ(err({{"PortBindings", {{"0/tcp", json::array()}}}}), "invalid port specification: \"0\"");
  EXPECT_EQ(err({{"PortBindings", {{"80/icmp", json::array()}}}}), "invalid port specification: \"80/icmp\"");
  EXPECT_NE(err({{"PortBindings", {{"80/tcp", {{{"HostIp", "::1"}, {"HostPort", "80"}}}}}}}).find("IPv4"), std::string::npos);
  EXPECT_NE(err({{"PortBindings", "80"}}), "accepted");
  EXPECT_FALSE(exposed_ports(json{{"ExposedPorts", {{"x/tcp", json::object()}}}}));
  EXPECT_EQ(*exposed_ports(json{{"ExposedPorts", {{"80/tcp", json::object()}}}}), std::vector<std::string>{"80/tcp"});
}
