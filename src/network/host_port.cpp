#include "network/host_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace berth::network {

namespace {

Result<HostPort> bind_one(int type, int protocol, Ipv4 ip, uint16_t port) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, protocol));
  if (!fd) return fail(ErrorKind::Internal, std::string("socket: ") + std::strerror(errno));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(ip.value);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    return fail(e == EADDRINUSE ? ErrorKind::Conflict : ErrorKind::Internal, std::strerror(e));
  }
  // A stream socket must listen to keep others off the port: two sockets that only bound it
  // may share it. Nothing ever connects: DNAT takes the packets first.
  if (type == SOCK_STREAM && ::listen(fd.get(), 1) != 0) {
    int e = errno;
    return fail(e == EADDRINUSE ? ErrorKind::Conflict : ErrorKind::Internal, std::strerror(e));
  }
  socklen_t len = sizeof sa;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return fail(ErrorKind::Internal, std::string("getsockname: ") + std::strerror(errno));
  return HostPort{std::move(fd), ntohs(sa.sin_port)};
}

}  // namespace

Result<HostPort> reserve_host_port(const std::string& proto, Ipv4 ip, uint16_t lo, uint16_t hi) {
  int type = SOCK_STREAM, protocol = 0;
  if (proto == "udp") type = SOCK_DGRAM;
  else if (proto == "sctp") protocol = IPPROTO_SCTP;
  else if (proto != "tcp") return fail(ErrorKind::Invalid, "unknown protocol \"" + proto + "\"");
  std::string where = ip.str() + ":";
  if (lo == 0) {
    auto r = bind_one(type, protocol, ip, 0);
    if (!r) return fail(r.error().kind, "Bind for " + where + "0 failed: " + r.error().message);
    return r;
  }
  for (unsigned p = lo; p <= hi; ++p) {
    auto r = bind_one(type, protocol, ip, static_cast<uint16_t>(p));
    if (r) return r;
    if (r.error().kind != ErrorKind::Conflict)
      return fail(r.error().kind, "Bind for " + where + std::to_string(p) + " failed: " + r.error().message);
  }
  std::string ports = lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
  return fail(ErrorKind::Conflict, "Bind for " + where + ports + " failed: port is already allocated");
}

}  // namespace berth::network
