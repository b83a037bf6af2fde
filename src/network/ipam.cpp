#include "network/ipam.hpp"

namespace berth::network {

Result<SubnetAllocator> SubnetAllocator::make(Ipv4Prefix subnet, std::optional<Ipv4Prefix> range,
                                              std::optional<Ipv4> gateway) {
  if (subnet.length > 30) return fail(ErrorKind::Invalid, "subnet " + subnet.str() + " is too small: a /30 is the least");
  Ipv4Prefix r = range.value_or(subnet);
  if (!subnet.contains(r))
    return fail(ErrorKind::Invalid, "ip-range " + r.str() + " is not within subnet " + subnet.str());
  Ipv4 g = gateway.value_or(Ipv4{subnet.base.value + 1});
  SubnetAllocator a(subnet, r, g);
  if (!subnet.contains(g) || !a.usable(g))
    return fail(ErrorKind::Invalid, "gateway " + g.str() + " is not a usable address of subnet " + subnet.str());
  a.taken_.insert(g.value);
  return a;
}

bool SubnetAllocator::usable(Ipv4 a) const {
  return subnet_.contains(a) && a != subnet_.first() && a != subnet_.last();
}

Result<> SubnetAllocator::reserve(Ipv4 a) {
  // dockerd's wording for an address outside the subnet; its network and broadcast addresses
  // are not a container's either.
  if (!subnet_.contains(a))
    return fail(ErrorKind::Invalid, "Invalid address " + a.str() + ": It does not belong to any of this network's subnets");
  if (!usable(a)) return fail(ErrorKind::Invalid, "Invalid address " + a.str() + ": it is the network's " +
                                                   (a == subnet_.first() ? "network" : "broadcast") + " address");
  if (!taken_.insert(a.value).second) return fail(ErrorKind::Conflict, "Address already in use");
  return {};
}

Result<Ipv4> SubnetAllocator::allocate() {
  for (uint64_t v = range_.first().value; v <= range_.last().value; ++v) {
    Ipv4 a{static_cast<uint32_t>(v)};
    if (usable(a) && !taken_.contains(a.value)) {
      taken_.insert(a.value);
      return a;
    }
  }
  return fail(ErrorKind::Unavailable, "no available IPv4 addresses on this network's address pools: " + range_.str());
}

}  // namespace berth::network
