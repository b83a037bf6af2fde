#include "network/cni_result.hpp"

#include <gtest/gtest.h>

using namespace berth;
using namespace berth::network;
using nlohmann::json;

namespace {

// What Debian's bridge plugin prints for a 1.0.0 list.
constexpr const char* kResult100 = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "cni0", "mac": "66:1f:6c:3c:4b:4e"},
    {"name": "veth1234", "mac": "aa:bb:cc:dd:ee:ff"},
    {"name": "eth0", "mac": "02:11:22:33:44:55", "sandbox": "/run/netns/pod"}
  ],
  "ips": [{"interface": 2, "address": "10.22.0.5/16", "gateway": "10.22.0.1"},
          {"interface": 2, "address": "fd00::5/64", "gateway": "fd00::1"}],
  "routes": [{"dst": "0.0.0.0/0"}, {"dst": "10.0.0.0/8", "gw": "10.22.0.254"}],
  "dns": {"nameservers": ["10.22.0.1"], "domain": "cluster.local", "search": ["svc.cluster.local"], "options": ["ndots:5"]}
})";

std::string error_of(const Result<CniResult>& r) { return r ? "(no error)" : r.error().what(); }

Result<CniResult> parse(const std::string& text) { return parse_cni_result(json::parse(text), "plugin bridge: ADD result"); }

}  // namespace

TEST(CniResult, Parses100) {
  auto r = parse(kResult100);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->cni_version, "1.0.0");
  ASSERT_EQ(r->interfaces.size(), 3u);
  EXPECT_EQ(r->interfaces[2].sandbox, "/run/netns/pod");
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].address, "10.22.0.5/16");
  EXPECT_EQ(r->ips[0].gateway, "10.22.0.1");
  EXPECT_EQ(r->ips[0].interface, 2u);
  EXPECT_FALSE(r->ips[0].ipv6);
  EXPECT_TRUE(r->ips[1].ipv6);
  ASSERT_EQ(r->routes.size(), 2u);
  EXPECT_EQ(r->routes[0].dst, "0.0.0.0/0");
  EXPECT_EQ(r->routes[0].gw, "");
  EXPECT_EQ(r->routes[1].gw, "10.22.0.254");
  EXPECT_EQ(r->dns.nameservers, std::vector<std::string>{"10.22.0.1"});
  EXPECT_EQ(r->dns.domain, "cluster.local");
  EXPECT_EQ(r->dns.options, std::vector<std::string>{"ndots:5"});
  EXPECT_EQ(r->sandbox_ips("eth0"), (std::vector<std::string>{"10.22.0.5", "fd00::5"}));
  EXPECT_TRUE(r->sandbox_ips("cni0").empty()) << "the bridge is no sandbox interface";
}

TEST(CniResult, Parses040WithIpVersions) {
  auto r = parse(R"({"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/n"}],
                     "ips":[{"version":"4","interface":0,"address":"10.1.0.2/24","gateway":"10.1.0.1"}],
                     "dns":{}})");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->sandbox_ips("eth0"), std::vector<std::string>{"10.1.0.2"});
  auto missing = parse(R"({"cniVersion":"0.4.0","ips":[{"address":"10.1.0.2/24"}]})");
  EXPECT_NE(error_of(missing).find("ips[0].version: missing"), std::string::npos) << error_of(missing);
  auto wrong = parse(R"({"cniVersion":"0.3.1","ips":[{"version":"6","address":"10.1.0.2/24"}]})");
  EXPECT_NE(error_of(wrong).find("ips[0].version: \"6\" does not match"), std::string::npos) << error_of(wrong);
}

TEST(CniResult, ConvertsBetweenLayouts) {
  auto r = parse(kResult100);
  ASSERT_TRUE(r);
  json old = cni_result_json(*r, "0.4.0");
  EXPECT_EQ(old["cniVersion"], "0.4.0");
  EXPECT_EQ(old["ips"][0]["version"], "4");
  EXPECT_EQ(old["ips"][1]["version"], "6");
  auto back = parse_cni_result(old, "x");
  ASSERT_TRUE(back) << back.error().what();
  json again = cni_result_json(*back, "1.0.0");
  EXPECT_EQ(again, json::parse(kResult100)) << again.dump();
}

TEST(CniResult, MalformedResultsNameTheField) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {R"([])", "plugin bridge: ADD result: expected a JSON object, got array"},
      {R"({})", "result.cniVersion: missing"},
      {R"({"cniVersion":"9.9.9"})", "result.cniVersion: \"9.9.9\" is not supported"},
      {R"({"cniVersion":"1.0.0","interfaces":{}})", "interfaces: expected array, got object"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"mac":"x"}]})", "interfaces[0].name: missing"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"name":5}]})", "interfaces[0].name: expected string, got number"},
      {R"({"cniVersion":"1.0.0","ips":[{}]})", "ips[0].address: missing"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]})", "ips[0].address: \"10.0.0.1\" is not an address with a prefix length"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/33"}]})", "ips[0].address"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/8"}]})", "ips[0].address"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/-1"}]})", "ips[0].address"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","gateway":"fd00::1"}]})", "ips[0].gateway: \"fd00::1\""},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1/8","interface":0}]})", "ips[0].interface: not an index into the 0 interfaces"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"name":"a"}],"ips":[{"address":"10.0.0.1/8","interface":-1}]})", "ips[0].interface"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"name":"a"}],"ips":[{"address":"10.0.0.1/8","interface":"0"}]})", "ips[0].interface"},
      {R"({"cniVersion":"1.0.0","routes":[{"gw":"10.0.0.1"}]})", "routes[0].dst: missing"},
      {R"({"cniVersion":"1.0.0","routes":[{"dst":"default"}]})", "routes[0].dst: \"default\""},
      {R"({"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0","gw":"nope"}]})", "routes[0].gw: \"nope\""},
      {R"({"cniVersion":"1.0.0","dns":[]})", "dns: expected object, got array"},
      {R"({"cniVersion":"1.0.0","dns":{"nameservers":[1]}})", "dns.nameservers: expected array of strings"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.text);
    EXPECT_NE(error_of(r).find(c.expect), std::string::npos) << c.text << "\n  -> " << error_of(r);
  }
}

TEST(CniResult, PluginErrorObjects) {
  auto e = parse_cni_error(R"({"cniVersion":"1.0.0","code":11,"msg":"failed to allocate","details":"range is full"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 11u);
  EXPECT_EQ(e->msg, "failed to allocate");
  EXPECT_EQ(e->details, "range is full");
  EXPECT_FALSE(parse_cni_error("panic: runtime error"));
  EXPECT_FALSE(parse_cni_error(R"({"code":"11","msg":"x"})"));
  EXPECT_FALSE(parse_cni_error(R"({"code":-1,"msg":"x"})"));
  EXPECT_FALSE(parse_cni_error(R"({"code":1})"));
  EXPECT_FALSE(parse_cni_error(R"({"code":4294967296,"msg":"x"})"));
}
