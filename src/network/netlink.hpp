// Links, addresses and routes through rtnetlink (libnl-route-3), in one network namespace: the
// socket belongs to the namespace it was opened in, so a caller configures a container's
// namespace from any thread without entering it. No `ip` command on the engine's path.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "network/ipv4.hpp"

struct nl_sock;

namespace berth::network {

using Mac = std::array<uint8_t, 6>;
Result<Mac> parse_mac(std::string_view text);  // "02:42:ac:11:00:02"
std::string mac_str(const Mac& m);

struct LinkInfo {
  int index = 0;
  std::string name;
  std::string kind;  // "bridge", "veth", "" for a physical or loopback link
  int master = 0;    // ifindex of the bridge it is enslaved to
  unsigned mtu = 0;
  bool up = false;
};

struct VethSpec {
  std::string name;       // host end
  std::string peer_name;  // container end, created directly in peer_netns_fd
  int peer_netns_fd = -1;
  unsigned mtu = 0;       // 0: the kernel's default
  std::optional<Mac> peer_mac;
};

class Netlink {
 public:
  // The calling thread's network namespace.
  static Result<Netlink> open();
  // Another namespace (an fd on an nsfs file); the caller's namespace is not changed.
  static Result<Netlink> open_in(int netns_fd);
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  Result<LinkInfo> link(const std::string& name);  // NotFound when absent
  Result<std::vector<LinkInfo>> links();
  Result<> create_bridge(const std::string& name, unsigned mtu);
  Result<> create_veth(const VethSpec& spec);
  Result<> set_up(const std::string& name);
  Result<> set_master(const std::string& name, int bridge_index);
  Result<> rename(const std::string& name, const std::string& new_name);  // the link must be down
  Result<> delete_link(const std::string& name);  // NotFound when absent

  Result<> add_address(const std::string& link, Ipv4 addr, int prefix_length);
  // Every IPv4 address in the namespace, with its prefix (host routes included via routes()).
  Result<std::vector<Ipv4Prefix>> address_prefixes();
  Result<> add_default_route(Ipv4 gateway, const std::string& link);
  // Destinations of the IPv4 routes of the main table, the default route left out.
  Result<std::vector<Ipv4Prefix>> route_prefixes();

 private:
  explicit Netlink(nl_sock* s) : sock_(s) {}
  nl_sock* sock_ = nullptr;
};

// Every IPv4 prefix in use in the caller's namespace (routes and addresses): what a new
// network's subnet must not overlap.
Result<std::vector<Ipv4Prefix>> prefixes_in_use(Netlink& nl);

}  // namespace berth::network
