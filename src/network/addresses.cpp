// IPv4 addresses and routes of a namespace: adding a container's address and default route,
// listing what the host already uses.
#include <arpa/inet.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <cstring>

#include "network/netlink.hpp"
#include "network/netlink_error.hpp"

namespace berth::network {
namespace {

nl_addr* build(Ipv4 a, int prefix_length) {
  uint32_t be = htonl(a.value);
  nl_addr* n = nl_addr_build(AF_INET, &be, sizeof be);
  nl_addr_set_prefixlen(n, prefix_length);
  return n;
}

std::optional<Ipv4Prefix> prefix_of(nl_addr* a) {
  if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4) return std::nullopt;
  uint32_t be;
  std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  return Ipv4Prefix::of(Ipv4{ntohl(be)}, static_cast<int>(nl_addr_get_prefixlen(a)));
}

Result<int> index_of(nl_sock* s, const std::string& link) {
  rtnl_link* l = nullptr;
  if (int err = rtnl_link_get_kernel(s, 0, link.c_str(), &l); err < 0) return fail(nl_error("link " + link, err));
  int idx = rtnl_link_get_ifindex(l);
  rtnl_link_put(l);
  return idx;
}

}  // namespace

Result<> Netlink::add_address(const std::string& link, Ipv4 addr, int prefix_length) {
  int idx = BERTH_TRY(index_of(sock_, link), "add address");
  rtnl_addr* a = rtnl_addr_alloc();
  nl_addr* local = build(addr, prefix_length);
  nl_addr* brd = build(Ipv4Prefix::of(addr, prefix_length).last(), prefix_length);
  rtnl_addr_set_ifindex(a, idx);
  rtnl_addr_set_local(a, local);
  if (prefix_length < 31) rtnl_addr_set_broadcast(a, brd);
  int err = rtnl_addr_add(sock_, a, 0);
  nl_addr_put(local);
  nl_addr_put(brd);
  rtnl_addr_put(a);
  if (err < 0) return fail(nl_error("add address " + addr.str() + "/" + std::to_string(prefix_length) + " to " + link, err));
  return {};
}

Result<std::vector<Ipv4Prefix>> Netlink::address_prefixes() {
  nl_cache* cache = nullptr;
  if (int err = rtnl_addr_alloc_cache(sock_, &cache); err < 0) return fail(nl_error("list addresses", err));
  std::vector<Ipv4Prefix> out;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET) continue;
    if (auto p = prefix_of(rtnl_addr_get_local(a))) out.push_back(Ipv4Prefix::of(p->base, rtnl_addr_get_prefixlen(a)));
  }
  nl_cache_free(cache);
  return out;
}

Result<> Netlink::add_default_route(Ipv4 gateway, const std::string& link) {
  int idx = BERTH_TRY(index_of(sock_, link), "add default route");
  rtnl_route* r = rtnl_route_alloc();
  nl_addr* dst = build(Ipv4{0}, 0);
  nl_addr* gw = build(gateway, 32);
  rtnl_route_set_family(r, AF_INET);
  rtnl_route_set_dst(r, dst);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, idx);
  rtnl_route_nh_set_gateway(nh, gw);
  rtnl_route_add_nexthop(r, nh);  // the route owns it now
  int err = rtnl_route_add(sock_, r, NLM_F_CREATE | NLM_F_EXCL);
  nl_addr_put(dst);
  nl_addr_put(gw);
  rtnl_route_put(r);
  if (err < 0) return fail(nl_error("add default route via " + gateway.str() + " dev " + link, err));
  return {};
}

Result<std::vector<Ipv4Prefix>> Netlink::route_prefixes() {
  nl_cache* cache = nullptr;
  if (int err = rtnl_route_alloc_cache(sock_, AF_INET, 0, &cache); err < 0) return fail(nl_error("list routes", err));
  std::vector<Ipv4Prefix> out;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    auto p = prefix_of(rtnl_route_get_dst(r));
    if (p && p->length > 0) out.push_back(*p);
  }
  nl_cache_free(cache);
  return out;
}

Result<std::vector<Ipv4Prefix>> prefixes_in_use(Netlink& nl) {
  auto routes = BERTH_TRY(nl.route_prefixes(), "prefixes in use");
  auto addrs = BERTH_TRY(nl.address_prefixes(), "prefixes in use");
  routes.insert(routes.end(), addrs.begin(), addrs.end());
  return routes;
}

}  // namespace berth::network
