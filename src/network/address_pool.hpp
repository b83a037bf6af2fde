// Where a new network's subnet comes from when none is given: Docker's default address pools
// (or daemon.json's default-address-pools), skipping every prefix already in use on the host
// (its routes and addresses) or by another network.
#pragma once
#include <vector>

#include "common/error.hpp"
#include "network/ipv4.hpp"

namespace berth::network {

struct AddressPool {
  Ipv4Prefix base;
  int size = 0;  // prefix length of each subnet cut from base
};

// 172.17.0.0/16 .. 172.31.0.0/16 as /16s, then 192.168.0.0/16 as /20s: Docker's local pools.
std::vector<AddressPool> default_address_pools();

// "size" must not be shorter than the base's own length.
Result<AddressPool> make_address_pool(Ipv4Prefix base, int size);

// The first subnet, pools in order, that overlaps nothing in in_use.
Result<Ipv4Prefix> choose_subnet(const std::vector<AddressPool>& pools, const std::vector<Ipv4Prefix>& in_use);

}  // namespace berth::network
