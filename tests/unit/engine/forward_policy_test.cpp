#include "engine/forward_policy.hpp"

#include <gtest/gtest.h>

using namespace berth::engine;

namespace {

// As libnftables lists iptables-nft's FORWARD chain (captured from Debian 12's nft 1.0.6).
std::string chain(const std::string& policy, const std::string& rules) {
  return R"({"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}, {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": ")" +
         policy + R"("}})" + rules + "]}";
}

std::string berth_rule(int handle, const std::string& dir, const std::string& bridge) {
  return R"(, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": )" + std::to_string(handle) +
         R"(, "comment": "berth", "expr": [{"match": {"op": "==", "left": {"meta": {"key": ")" + dir +
         R"("}}, "right": ")" + bridge + R"("}}, {"accept": null}]}})";
}

const std::string kDockerRule =
    R"(, {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 2, "expr": [{"jump": {"target": "DOCKER-USER"}}]}})";

}  // namespace

TEST(ForwardPolicy, DropPolicyGetsOneAcceptPerDirectionAndBridge) {
  auto cmds = forward_accept_commands(chain("drop", kDockerRule), {"berth0"});
  EXPECT_EQ(cmds,
            "insert rule ip filter FORWARD iifname \"berth0\" accept comment \"berth\"\n"
            "insert rule ip filter FORWARD oifname \"berth0\" accept comment \"berth\"\n");
}

TEST(ForwardPolicy, ExistingRulesAreKeptStaleOnesRemovedOthersNeverTouched) {
  auto rules = kDockerRule + berth_rule(7, "iifname", "berth0") + berth_rule(8, "oifname", "berth0") +
               berth_rule(9, "iifname", "br-gone") + berth_rule(10, "iifname", "berth0");
  auto cmds = forward_accept_commands(chain("drop", rules), {"berth0", "br-new"});
  EXPECT_EQ(cmds,
            "delete rule ip filter FORWARD handle 9\n"
            "delete rule ip filter FORWARD handle 10\n"
            "insert rule ip filter FORWARD iifname \"br-new\" accept comment \"berth\"\n"
            "insert rule ip filter FORWARD oifname \"br-new\" accept comment \"berth\"\n");
  EXPECT_EQ(forward_accept_commands(chain("drop", kDockerRule + berth_rule(7, "iifname", "berth0") +
                                                      berth_rule(8, "oifname", "berth0")),
                                    {"berth0"}),
            "") << "nothing to change";
}

TEST(ForwardPolicy, AcceptPolicyOrNoChainNeedsNoRule) {
  EXPECT_EQ(forward_accept_commands(chain("accept", kDockerRule), {"berth0"}), "");
  EXPECT_EQ(forward_accept_commands(chain("accept", berth_rule(4, "iifname", "berth0")), {"berth0"}),
            "delete rule ip filter FORWARD handle 4\n");
  EXPECT_EQ(forward_accept_commands("", {"berth0"}), "");
  EXPECT_EQ(forward_accept_commands(R"({"nftables": []})", {"berth0"}), "");
}
