#include "network/address_pool.hpp"

#include <algorithm>

namespace berth::network {

std::vector<AddressPool> default_address_pools() {
  std::vector<AddressPool> pools;
  for (uint32_t second = 17; second <= 31; ++second)
    pools.push_back({Ipv4Prefix{Ipv4{(172u << 24) | (second << 16)}, 16}, 16});
  pools.push_back({Ipv4Prefix{Ipv4{(192u << 24) | (168u << 16)}, 16}, 20});
  return pools;
}

Result<AddressPool> make_address_pool(Ipv4Prefix base, int size) {
  if (size < base.length || size > 32)
    return fail(ErrorKind::Invalid, "invalid pool size " + std::to_string(size) + " for base " + base.str() +
                                        ": it must be between " + std::to_string(base.length) + " and 32");
  return AddressPool{base, size};
}

Result<Ipv4Prefix> choose_subnet(const std::vector<AddressPool>& pools, const std::vector<Ipv4Prefix>& in_use) {
  for (const auto& pool : pools) {
    uint64_t step = uint64_t{1} << (32 - pool.size);
    for (uint64_t v = pool.base.base.value; v <= pool.base.last().value; v += step) {
      Ipv4Prefix candidate{Ipv4{static_cast<uint32_t>(v)}, pool.size};
      auto taken = std::ranges::any_of(in_use, [&](const Ipv4Prefix& p) { return p.overlaps(candidate); });
      if (!taken) return candidate;
    }
  }
  // dockerd's wording, which users search for.
  return fail(ErrorKind::Unavailable,
              "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
}

}  // namespace berth::network
