#include "engine/nat_rules.hpp"

namespace berth::engine {

std::string nat_ruleset(const std::vector<BridgeNat>& nets) {
  std::string t = std::string("ip ") + kNftTable;
  // "add table" makes the flush safe on a fresh host; the flush drops the old rules in the same
  // transaction, so packets never see a half-built table.
  std::string s = "add table " + t + "\nflush table " + t + "\n";
  s += "add chain " + t + " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n";
  s += "add chain " + t + " forward { type filter hook forward priority filter; policy accept; }\n";
  for (const auto& n : nets) {
    std::string br = "\"" + n.bridge + "\"";
    if (n.internal) {
      // An internal network reaches nothing beyond its bridge, in either direction.
      s += "add rule " + t + " forward iifname " + br + " oifname != " + br + " drop\n";
      s += "add rule " + t + " forward oifname " + br + " iifname != " + br + " drop\n";
    } else {
      s += "add rule " + t + " postrouting ip saddr " + n.subnet + " oifname != " + br + " masquerade\n";
    }
  }
  return s;
}

std::string nat_teardown() {
  std::string t = std::string("ip ") + kNftTable;
  return "add table " + t + "\ndelete table " + t + "\n";
}

}  // namespace berth::engine
