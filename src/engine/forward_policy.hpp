// Living beside another engine's firewall: dockerd (through iptables-nft) sets the policy of
// the `ip filter` table's FORWARD chain to DROP, and a packet must be accepted by every base
// chain on its hook, so berth's own table cannot let its bridges' traffic through alone. When
// that chain exists with a drop policy, berth inserts into it exactly one rule per direction
// and bridge ("iifname/oifname <bridge> accept", tagged with the comment "berth"); berth's own
// table still does the filtering (isolation, internal networks). Nothing else there is touched,
// and the rules go when their network does or when berthd stops.
#pragma once
#include <string>
#include <vector>

namespace berth::engine {

inline constexpr const char* kForwardRuleComment = "berth";

// nft commands (one transaction) that turn the FORWARD chain described by chain_json (libnftables'
// JSON for "list chain ip filter FORWARD") into one whose berth rules are exactly those for
// bridges, or none when the chain's policy accepts anyway; "" when nothing is to change.
std::string forward_accept_commands(const std::string& chain_json, const std::vector<std::string>& bridges);

}  // namespace berth::engine
