// A fake upstream DNS server for the embedded resolver's tests, on a loopback address of the
// test's choosing (UDP and TCP, port 53 unless told): "upstream.test" is 192.0.2.7, every
// other name NXDOMAIN; a silent one reads queries and never answers. Nothing leaves the host.
#pragma once
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"
#include "network/dns_message.hpp"

namespace berth::network::test {

class FakeDnsUpstream {
 public:
  // port 0: an ephemeral one (see port()).
  explicit FakeDnsUpstream(Ipv4 addr, uint16_t port = 53, bool silent = false) : silent_(silent) {
    auto sa = sockaddr_of(addr, port);
    udp_ = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (bind(udp_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return;
    socklen_t len = sizeof sa;
    getsockname(udp_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    tcp_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(tcp_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(tcp_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(tcp_.get(), 8) != 0) return;
    ok_ = true;
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeDnsUpstream() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  bool ok() const { return ok_; }  // bound: false when the address is taken
  uint16_t port() const { return port_; }
  int queries() const { return queries_; }

  static sockaddr_in sockaddr_of(Ipv4 a, uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(a.value);
    return sa;
  }

 private:
  std::vector<uint8_t> answer(const std::vector<uint8_t>& q) {
    ++queries_;
    auto p = dns::parse_query(q);
    if (p.kind != dns::Parsed::Kind::Ok) return {};
    if (dns::canonical_name(p.query.question.name) != "upstream.test") return dns::empty_response(p.query, dns::kNxDomain);
    if (p.query.question.qtype != dns::kTypeA) return dns::empty_response(p.query, dns::kNoError);
    return dns::a_response(p.query, {Ipv4{0xC0000207}}, 60);  // 192.0.2.7
  }
  void serve() {
    uint8_t buf[4096];
    while (!stop_) {
      pollfd p[2] = {{udp_.get(), POLLIN, 0}, {tcp_.get(), POLLIN, 0}};
      if (poll(p, 2, 50) <= 0) continue;  // the stop flag is checked between polls
      if (p[0].revents & POLLIN) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(udp_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) continue;
        auto r = answer(std::vector<uint8_t>(buf, buf + n));
        if (!silent_ && !r.empty()) sendto(udp_.get(), r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
      if (p[1].revents & POLLIN) {
        UniqueFd c(accept4(tcp_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        pollfd cp{c.get(), POLLIN, 0};
        if (poll(&cp, 1, 2000) != 1) continue;
        ssize_t n = recv(c.get(), buf, sizeof buf, 0);
        if (n < 2) continue;
        auto r = answer(std::vector<uint8_t>(buf + 2, buf + n));
        if (silent_ || r.empty()) continue;
        std::vector<uint8_t> framed(2 + r.size());
        framed[0] = uint8_t(r.size() >> 8);
        framed[1] = uint8_t(r.size());
        std::copy(r.begin(), r.end(), framed.begin() + 2);
        send(c.get(), framed.data(), framed.size(), MSG_NOSIGNAL);
      }
    }
  }
  bool silent_, ok_ = false;
  UniqueFd udp_, tcp_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  std::thread thread_;
};

}  // namespace berth::network::test
