// IPv4 addresses and prefixes as values: parsing ("172.17.0.0/16"), formatting, containment
// and overlap. Host byte order inside, so arithmetic (the nth host of a subnet) is plain.
#pragma once
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::network {

struct Ipv4 {
  uint32_t value = 0;  // host byte order

  static Result<Ipv4> parse(std::string_view text);
  std::string str() const;
  auto operator<=>(const Ipv4&) const = default;
};

struct Ipv4Prefix {
  Ipv4 base;       // the network address: host bits are zero
  int length = 0;  // 0..32

  // "a.b.c.d/n"; host bits set ("10.0.0.1/8") is an error, as dockerd refuses such a subnet.
  static Result<Ipv4Prefix> parse(std::string_view text);
  // Any address with its prefix length; host bits are cleared.
  static Ipv4Prefix of(Ipv4 addr, int length);
  std::string str() const;

  uint32_t mask() const { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }
  uint64_t size() const { return uint64_t{1} << (32 - length); }
  Ipv4 first() const { return base; }
  Ipv4 last() const { return Ipv4{base.value | ~mask()}; }
  bool contains(Ipv4 a) const { return (a.value & mask()) == base.value; }
  bool contains(const Ipv4Prefix& p) const { return p.length >= length && contains(p.base); }
  bool overlaps(const Ipv4Prefix& p) const { return contains(p.base) || p.contains(base); }
  auto operator<=>(const Ipv4Prefix&) const = default;
};

}  // namespace berth::network
