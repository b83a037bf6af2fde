// berth's nftables table ("ip berth") as text for libnftables, rebuilt whole in one transaction
// whenever a network or a published port comes or goes: masquerade out of each bridge network,
// no forwarding out of an internal one, nothing new into a bridge unless it comes from the
// bridge itself or was published (so bridges are isolated from each other and from routed
// traffic), and DNAT of published ports for traffic to any of the host's own addresses:
// from outside, from the host itself (127.0.0.1 too) and from containers (hairpin). Nothing
// outside this table is touched.
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

struct PortNat {
  std::string proto;    // tcp, udp, sctp
  std::string host_ip;  // "0.0.0.0": any of the host's addresses
  unsigned host_port = 0;
  std::string container_ip;
  unsigned container_port = 0;
};

// The table with exactly these networks' and ports' rules (replacing whatever it held).
std::string nat_ruleset(const std::vector<BridgeNat>& nets, const std::vector<PortNat>& ports = {});
// Removes the table; not an error when it does not exist.
std::string nat_teardown();

}  // namespace berth::engine
