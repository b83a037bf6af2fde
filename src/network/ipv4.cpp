#include "network/ipv4.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace berth::network {

Result<Ipv4> Ipv4::parse(std::string_view text) {
  std::string s(text);
  in_addr a{};
  // inet_pton accepts only the dotted quad (no "10.1", no octal), which is what Docker accepts.
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return fail(ErrorKind::Invalid, "invalid IPv4 address: " + s);
  return Ipv4{ntohl(a.s_addr)};
}

std::string Ipv4::str() const {
  in_addr a{htonl(value)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

Result<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail(ErrorKind::Invalid, "invalid CIDR address: " + std::string(text));
  auto addr = Ipv4::parse(text.substr(0, slash));
  auto len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (!addr || ec != std::errc{} || end != len_text.data() + len_text.size() || len < 0 || len > 32)
    return fail(ErrorKind::Invalid, "invalid CIDR address: " + std::string(text));
  auto p = of(*addr, len);
  if (p.base != *addr) return fail(ErrorKind::Invalid, "invalid subnet " + std::string(text) + ": it should be " + p.str());
  return p;
}

Ipv4Prefix Ipv4Prefix::of(Ipv4 addr, int length) {
  Ipv4Prefix p{{}, length};
  p.base = Ipv4{addr.value & p.mask()};
  return p;
}

std::string Ipv4Prefix::str() const { return base.str() + "/" + std::to_string(length); }

}  // namespace berth::network
