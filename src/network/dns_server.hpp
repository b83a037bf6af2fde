// The embedded DNS server: one thread serving every container. For each container it has a
// UDP and a TCP socket bound to 127.0.0.11:53 inside the container's network namespace
// (opened by a short-lived thread that joins the namespace; a socket keeps the namespace it
// was made in), all on one epoll. Queries it cannot answer itself (resolve returns nullopt)
// go to the container's upstream servers from berthd's own namespace, over the transport the
// container used, with a bounded timeout per server and a bounded number in flight.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "network/dns_message.hpp"
#include "network/ipv4.hpp"

namespace berth::network {

struct DnsUpstream {
  Ipv4 addr;
  uint16_t port = 53;
};

// The nameservers of a resolv.conf text, IPv4 only (berthd forwards from its own namespace,
// so loopback resolvers such as 127.0.0.53 count).
std::vector<DnsUpstream> resolv_conf_upstreams(const std::string& text);

struct DnsServerOptions {
  // The server's own answer to a query from client, or nullopt to forward it.
  std::function<std::optional<std::vector<uint8_t>>(const std::string& client, const dns::Query&)> resolve;
  Ipv4 listen{0x7F00000B};  // 127.0.0.11
  uint16_t port = 53;
  std::chrono::milliseconds upstream_timeout{3000};  // per upstream server tried
  size_t max_in_flight = 256;                         // forwarded queries, all clients
  size_t max_in_flight_per_client = 64;
  size_t max_tcp_per_client = 16;
  std::chrono::milliseconds tcp_idle{10000};
};

class DnsServer {
 public:
  static Result<std::unique_ptr<DnsServer>> start(DnsServerOptions o);
  ~DnsServer();  // stops the thread and closes every socket

  // Serves client in the namespace at netns_path (replacing what it had); with no upstreams
  // unknown names are NXDOMAIN.
  Result<> add(const std::string& client, const std::string& netns_path, std::vector<DnsUpstream> upstreams);
  // Closes the client's sockets, connections and forwards; unknown clients are ignored.
  void remove(const std::string& client);
  size_t client_count() const;

 private:
  struct State;
  explicit DnsServer(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace berth::network
