// Published ports as a create request asks for them: HostConfig.PortBindings ("80/tcp":
// [{"HostIp": "127.0.0.1", "HostPort": "8080"}]), and with PublishAllPorts every exposed port
// (the request's and the image's ExposedPorts) on an ephemeral host port. Checked at create
// with dockerd's messages; carried out at start by the network service.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct PortRequest {
  std::string proto = "tcp";  // tcp, udp, sctp
  uint16_t container_port = 0;
  std::string host_ip;  // "" = every address (0.0.0.0)
  uint16_t host_lo = 0, host_hi = 0;  // 0 = ephemeral; lo..hi = the first free one of a range

  nlohmann::json to_json() const;
  static PortRequest from_json(const nlohmann::json& j);
  bool operator==(const PortRequest&) const = default;
};

// A port as it is published while the container runs.
struct PublishedPort {
  std::string proto;
  uint16_t container_port = 0;
  std::string host_ip;  // "0.0.0.0" for every address
  uint16_t host_port = 0;
};

// "80/tcp" -> {80, "tcp"}; a range "80-81" is refused (clients expand ranges).
struct PortKey {
  uint16_t port = 0;
  std::string proto;
};
Result<PortKey> parse_port_key(std::string_view key);

// "8080" or "8000-8010" or "" (ephemeral).
Result<std::pair<uint16_t, uint16_t>> parse_host_port(std::string_view s);

// Every binding of the request, in a stable order (by container port, then protocol).
// exposed: the union of the request's and the image's ExposedPorts keys.
Result<std::vector<PortRequest>> port_requests(const nlohmann::json& host_config,
                                               const std::vector<std::string>& exposed);

// ExposedPorts keys of a Config object (request or image), validated.
Result<std::vector<std::string>> exposed_ports(const nlohmann::json& config);

}  // namespace berth::engine
