// A CNI plugin's answer: the Result of ADD (interfaces, ips, routes, dns) in the 0.3.x/0.4.0
// and 1.0.0 layouts, and the Error object a failing plugin prints.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::network {

struct CniInterface {
  std::string name;
  std::string mac;
  std::string sandbox;  // the netns path for an interface inside the sandbox, else ""
};

struct CniIp {
  std::string address;  // CIDR: "10.22.0.5/16"
  std::string gateway;  // "" when absent
  std::optional<size_t> interface;  // index into interfaces
  bool ipv6 = false;
};

struct CniRoute {
  std::string dst;  // CIDR
  std::string gw;   // "" when absent
};

struct CniDns {
  std::vector<std::string> nameservers, search, options;
  std::string domain;
};

struct CniResult {
  std::string cni_version;
  std::vector<CniInterface> interfaces;
  std::vector<CniIp> ips;
  std::vector<CniRoute> routes;
  CniDns dns;

  // The addresses (without prefix length) of the ips on the sandbox interface named ifname:
  // the pod's IPs.
  std::vector<std::string> sandbox_ips(std::string_view ifname) const;
};

// Checks every field; errors name it ("ips[0].address: ..."). what prefixes the message.
Result<CniResult> parse_cni_result(const nlohmann::json& j, std::string_view what);
// The result in a version's layout (0.3.x/0.4.0 carry ips[].version, 1.0.0 does not).
nlohmann::json cni_result_json(const CniResult& r, std::string_view version);

struct CniError {
  unsigned code = 0;
  std::string msg, details;
};
// The error object a plugin prints on failure; nullopt when the text is not one.
std::optional<CniError> parse_cni_error(std::string_view text);

}  // namespace berth::network
