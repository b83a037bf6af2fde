// Links: bridges, veth pairs (the container end created straight in its namespace), up,
// master, rename, delete.
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include <cstdio>

#include "network/netlink.hpp"
#include "network/netlink_error.hpp"

namespace berth::network {
namespace {

struct LinkPtr {
  rtnl_link* p = nullptr;
  explicit LinkPtr(rtnl_link* l) : p(l) {}
  LinkPtr(const LinkPtr&) = delete;
  ~LinkPtr() {
    if (p) rtnl_link_put(p);
  }
};

struct AddrPtr {
  nl_addr* p = nullptr;
  explicit AddrPtr(nl_addr* a) : p(a) {}
  AddrPtr(const AddrPtr&) = delete;
  ~AddrPtr() {
    if (p) nl_addr_put(p);
  }
};

LinkInfo info_of(rtnl_link* l) {
  LinkInfo i;
  i.index = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) i.name = n;
  if (const char* t = rtnl_link_get_type(l)) i.kind = t;
  i.master = rtnl_link_get_master(l);
  i.mtu = rtnl_link_get_mtu(l);
  i.up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
  return i;
}

// Applies the attributes set on a fresh link object to the named link.
Result<> change(nl_sock* s, const std::string& name, const std::string& what, auto&& set) {
  rtnl_link* orig = nullptr;
  if (int err = rtnl_link_get_kernel(s, 0, name.c_str(), &orig); err < 0) return fail(nl_error(what + " " + name, err));
  LinkPtr o(orig), c(rtnl_link_alloc());
  set(c.p);
  if (int err = rtnl_link_change(s, o.p, c.p, 0); err < 0) return fail(nl_error(what + " " + name, err));
  return {};
}

}  // namespace

Result<Mac> parse_mac(std::string_view text) {
  Mac m{};
  unsigned v[6];
  char tail;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 ||
      s.size() != 17)
    return fail(ErrorKind::Invalid, "invalid MAC address: " + s);
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

std::string mac_str(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

Result<LinkInfo> Netlink::link(const std::string& name) {
  rtnl_link* l = nullptr;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &l); err < 0) return fail(nl_error("link " + name, err));
  LinkPtr p(l);
  return info_of(l);
}

Result<std::vector<LinkInfo>> Netlink::links() {
  nl_cache* cache = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &cache); err < 0) return fail(nl_error("list links", err));
  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
    out.push_back(info_of(reinterpret_cast<rtnl_link*>(o)));
  nl_cache_free(cache);
  return out;
}

Result<> Netlink::create_bridge(const std::string& name, unsigned mtu) {
  LinkPtr l(rtnl_link_bridge_alloc());
  rtnl_link_set_name(l.p, name.c_str());
  if (mtu) rtnl_link_set_mtu(l.p, mtu);
  if (int err = rtnl_link_add(sock_, l.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error("create bridge " + name, err));
  return {};
}

Result<> Netlink::create_veth(const VethSpec& spec) {
  LinkPtr l(rtnl_link_veth_alloc());
  LinkPtr peer(rtnl_link_veth_get_peer(l.p));  // a reference of its own
  rtnl_link_set_name(l.p, spec.name.c_str());
  rtnl_link_set_name(peer.p, spec.peer_name.c_str());
  if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.p, spec.peer_netns_fd);
  if (spec.mtu) {
    rtnl_link_set_mtu(l.p, spec.mtu);
    rtnl_link_set_mtu(peer.p, spec.mtu);
  }
  if (spec.peer_mac) {
    AddrPtr a(nl_addr_build(AF_LLC, spec.peer_mac->data(), spec.peer_mac->size()));
    rtnl_link_set_addr(peer.p, a.p);
  }
  if (int err = rtnl_link_add(sock_, l.p, NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error("create veth pair " + spec.name + "/" + spec.peer_name, err));
  return {};
}

Result<> Netlink::set_up(const std::string& name) {
  return change(sock_, name, "set up", [](rtnl_link* c) { rtnl_link_set_flags(c, IFF_UP); });
}

Result<> Netlink::set_master(const std::string& name, int bridge_index) {
  return change(sock_, name, "attach to bridge", [&](rtnl_link* c) { rtnl_link_set_master(c, bridge_index); });
}

Result<> Netlink::rename(const std::string& name, const std::string& new_name) {
  return change(sock_, name, "rename", [&](rtnl_link* c) { rtnl_link_set_name(c, new_name.c_str()); });
}

Result<> Netlink::delete_link(const std::string& name) {
  LinkPtr l(rtnl_link_alloc());
  rtnl_link_set_name(l.p, name.c_str());
  if (int err = rtnl_link_delete(sock_, l.p); err < 0) return fail(nl_error("delete link " + name, err));
  return {};
}

}  // namespace berth::network
