// The addresses of one network: its subnet, the range containers get addresses from, the
// gateway. Holds which are taken; the engine persists them and rebuilds this from its DB.
#pragma once
#include <optional>
#include <set>

#include "common/error.hpp"
#include "network/ipv4.hpp"

namespace berth::network {

class SubnetAllocator {
 public:
  // range defaults to the subnet; gateway to the subnet's first host. Errors name the field.
  static Result<SubnetAllocator> make(Ipv4Prefix subnet, std::optional<Ipv4Prefix> range = {},
                                      std::optional<Ipv4> gateway = {});

  Ipv4Prefix subnet() const { return subnet_; }
  Ipv4Prefix range() const { return range_; }
  Ipv4 gateway() const { return gateway_; }

  // A fixed address (--ip, or one recorded before a restart): in the subnet, not taken.
  Result<> reserve(Ipv4 a);
  // The lowest free address of the range.
  Result<Ipv4> allocate();
  void release(Ipv4 a) { taken_.erase(a.value); }
  bool taken(Ipv4 a) const { return taken_.contains(a.value); }
  size_t in_use() const { return taken_.size(); }

 private:
  SubnetAllocator(Ipv4Prefix s, Ipv4Prefix r, Ipv4 g) : subnet_(s), range_(r), gateway_(g) {}
  // Network and broadcast addresses are never handed out (except in /31 and /32).
  bool usable(Ipv4 a) const;

  Ipv4Prefix subnet_, range_;
  Ipv4 gateway_;
  std::set<uint32_t> taken_;  // the gateway included
};

}  // namespace berth::network
