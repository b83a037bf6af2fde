// berth's nftables table ("ip berth") as text for libnftables, rebuilt whole in one transaction
// whenever a network comes or goes: masquerade out of each bridge network, and no forwarding
// out of an internal one. Nothing outside this table is touched.
#pragma once
#include <string>
#include <vector>

namespace berth::engine {

inline constexpr const char* kNftTable = "berth";

struct BridgeNat {
  std::string bridge;  // link name
  std::string subnet;  // "172.17.0.0/16"
  bool internal = false;
};

// The table with exactly these networks' rules (replacing whatever it held).
std::string nat_ruleset(const std::vector<BridgeNat>& nets);
// Removes the table; not an error when it does not exist.
std::string nat_teardown();

}  // namespace berth::engine
