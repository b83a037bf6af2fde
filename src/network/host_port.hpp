// Holding a host port for a published container port. The packets themselves are DNATed before
// they reach any socket; the bound socket is what keeps another program (or another container)
// from taking the port meanwhile, and makes "port already in use" an error at start.
#pragma once
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "network/ipv4.hpp"

namespace berth::network {

struct HostPort {
  UniqueFd socket;  // close-on-exec; closing it frees the port
  uint16_t port = 0;
};

// Binds proto ("tcp", "udp" or "sctp") on ip at the first free port of lo..hi; lo == 0 lets the
// kernel choose one from ip_local_port_range. Conflict (409-worthy) when every port is taken:
// "Bind for 0.0.0.0:8080 failed: port is already allocated".
Result<HostPort> reserve_host_port(const std::string& proto, Ipv4 ip, uint16_t lo, uint16_t hi);

}  // namespace berth::network
