#include "engine/nat_rules.hpp"

namespace berth::engine {

std::string nat_ruleset(const std::vector<BridgeNat>& nets, const std::vector<PortNat>& ports) {
  std::string t = std::string("ip ") + kNftTable;
  // "add table" makes the flush safe on a fresh host; the flush drops the old rules in the same
  // transaction, so packets never see a half-built table.
  std::string s = "add table " + t + "\nflush table " + t + "\n";
  s += "add chain " + t + " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n";
  s += "add chain " + t + " output { type nat hook output priority -100; policy accept; }\n";
  s += "add chain " + t + " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n";
  s += "add chain " + t + " forward { type filter hook forward priority filter; policy accept; }\n";
  s += "add chain " + t + " publish\n";
  // Only traffic addressed to the host itself is published, whichever way it arrives.
  s += "add rule " + t + " prerouting fib daddr type local jump publish\n";
  s += "add rule " + t + " output fib daddr type local jump publish\n";
  for (const auto& p : ports) {
    std::string to = p.host_ip == "0.0.0.0" || p.host_ip.empty() ? "" : "ip daddr " + p.host_ip + " ";
    s += "add rule " + t + " publish " + to + p.proto + " dport " + std::to_string(p.host_port) + " dnat to " +
         p.container_ip + ":" + std::to_string(p.container_port) + "\n";
  }
  // Internal networks first: their isolation holds even for published ports.
  for (const auto& n : nets)
    if (n.internal) {
      // An internal network reaches nothing beyond its bridge, in either direction.
      std::string br = "\"" + n.bridge + "\"";
      s += "add rule " + t + " forward iifname " + br + " oifname != " + br + " drop\n";
      s += "add rule " + t + " forward oifname " + br + " iifname != " + br + " drop\n";
    }
  for (const auto& n : nets) {
    if (n.internal) continue;
    std::string br = "\"" + n.bridge + "\"";
    // Into the bridge from elsewhere: published ports and replies; nothing else new.
    s += "add rule " + t + " forward oifname " + br + " iifname != " + br + " ct status dnat accept\n";
    s += "add rule " + t + " forward oifname " + br + " iifname != " + br + " ct state new drop\n";
    s += "add rule " + t + " postrouting ip saddr " + n.subnet + " oifname != " + br + " masquerade\n";
    // A published port reached from the host's loopback (the bridge has route_localnet) or from
    // a container on the same bridge (hairpin): the reply must come back through the host.
    s += "add rule " + t + " postrouting oifname " + br + " ip saddr 127.0.0.0/8 masquerade\n";
    s += "add rule " + t + " postrouting oifname " + br + " iifname " + br + " ct status dnat masquerade\n";
  }
  return s;
}

std::string nat_teardown() {
  std::string t = std::string("ip ") + kNftTable;
  return "add table " + t + "\ndelete table " + t + "\n";
}

}  // namespace berth::engine
