#include "publish_flag.hpp"

#include <gtest/gtest.h>

using namespace berth::cli;
using nlohmann::json;

namespace {

std::string publish_error(const std::string& spec) {
  json b = json::object(), e = json::object();
  auto r = add_publish(b, e, spec);
  return r ? "accepted" : r.error().message;
}

}  // namespace

TEST(PublishFlag, FormsAsTheDockerClientSendsThem) {
  json b = json::object(), e = json::object();
  ASSERT_TRUE(add_publish(b, e, "127.0.0.1:18080:80"));
  ASSERT_TRUE(add_publish(b, e, "18081:80"));
  ASSERT_TRUE(add_publish(b, e, "53/udp"));
  ASSERT_TRUE(add_publish(b, e, "8000-8001:90-91"));
  ASSERT_TRUE(add_publish(b, e, "7000-7010:100"));
  ASSERT_TRUE(add_publish(b, e, "[::1]:9000:110"));
  EXPECT_EQ(b["80/tcp"], json::parse(R"([{"HostIp":"127.0.0.1","HostPort":"18080"},{"HostIp":"","HostPort":"18081"}])"));
  EXPECT_EQ(b["53/udp"], json::parse(R"([{"HostIp":"","HostPort":""}])"));
  EXPECT_EQ(b["90/tcp"], json::parse(R"([{"HostIp":"","HostPort":"8000"}])"));
  EXPECT_EQ(b["91/tcp"], json::parse(R"([{"HostIp":"","HostPort":"8001"}])"));
  EXPECT_EQ(b["100/tcp"], json::parse(R"([{"HostIp":"","HostPort":"7000-7010"}])"));
  EXPECT_EQ(b["110/tcp"], json::parse(R"([{"HostIp":"::1","HostPort":"9000"}])"));
  for (auto k : {"80/tcp", "53/udp", "90/tcp", "91/tcp", "100/tcp", "110/tcp"}) EXPECT_TRUE(e.contains(k)) << k;
  json x = json::object();
  ASSERT_TRUE(add_expose(x, "5000-5001/udp"));
  EXPECT_EQ(x, json::parse(R"({"5000/udp":{},"5001/udp":{}})"));
}

TEST(PublishFlag, BadSpecsWithTheClientsMessages) {
  EXPECT_EQ(publish_error("70000:80"), "invalid hostPort: 70000");
  EXPECT_EQ(publish_error("abc"), "invalid containerPort: abc");
  EXPECT_EQ(publish_error("80/icmp"), "invalid proto: icmp");
  EXPECT_EQ(publish_error("1.2.3:80:80"), "invalid IP address: 1.2.3");
  EXPECT_EQ(publish_error("8000-8002:80-81"), "invalid ranges specified for container and host Ports: 80-81 and 8000-8002");
  EXPECT_EQ(publish_error("a:b:c:d"), "invalid port format: a:b:c:d");
}

TEST(PublishFlag, PortsColumn) {
  auto ports = json::parse(R"([{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"PrivatePort":443,"Type":"tcp"}])");
  EXPECT_EQ(ports_column(ports), "0.0.0.0:8080->80/tcp, 443/tcp");
  EXPECT_EQ(ports_column(json::array()), "");
}
