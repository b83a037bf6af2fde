#include "engine/port_bindings.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/json_util.hpp"
#include "network/ipv4.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// dockerd's wording for any malformed port.
auto bad_port_spec(std::string_view s) {
  return fail(ErrorKind::Invalid, "invalid port specification: \"" + std::string(s) + "\"");
}

std::optional<uint16_t> port_number(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

}  // namespace

json PortRequest::to_json() const {
  return {{"proto", proto}, {"port", container_port}, {"host_ip", host_ip}, {"host_lo", host_lo}, {"host_hi", host_hi}};
}

PortRequest PortRequest::from_json(const json& j) {
  PortRequest r;
  if (!j.is_object()) return r;
  r.proto = j.value("proto", "tcp");
  r.container_port = j.value("port", uint16_t{0});
  r.host_ip = j.value("host_ip", "");
  r.host_lo = j.value("host_lo", uint16_t{0});
  r.host_hi = j.value("host_hi", uint16_t{0});
  return r;
}

Result<PortKey> parse_port_key(std::string_view key) {
  PortKey k;
  auto slash = key.find('/');
  std::string_view port = key.substr(0, slash);
  k.proto = slash == std::string_view::npos ? "tcp" : std::string(key.substr(slash + 1));
  if (k.proto != "tcp" && k.proto != "udp" && k.proto != "sctp") return bad_port_spec(key);
  auto n = port_number(port);
  if (!n || *n == 0) return bad_port_spec(port);
  k.port = *n;
  return k;
}

Result<std::pair<uint16_t, uint16_t>> parse_host_port(std::string_view s) {
  if (s.empty()) return std::pair<uint16_t, uint16_t>{0, 0};
  auto dash = s.find('-');
  auto lo = port_number(s.substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : port_number(s.substr(dash + 1));
  if (!lo || !hi || *lo > *hi || (*lo == 0 && dash != std::string_view::npos)) return bad_port_spec(s);
  return std::pair<uint16_t, uint16_t>{*lo, *hi};
}

Result<std::vector<std::string>> exposed_ports(const json& config) {
  std::vector<std::string> out;
  if (!config.is_object() || !config.contains("ExposedPorts") || config["ExposedPorts"].is_null()) return out;
  if (!config["ExposedPorts"].is_object()) return fail(ErrorKind::Invalid, "ExposedPorts: expected an object");
  for (auto& [k, v] : config["ExposedPorts"].items()) {
    BERTH_TRY(parse_port_key(k), "");
    out.push_back(k);
  }
  return out;
}

Result<std::vector<PortRequest>> port_requests(const json& hc, const std::vector<std::string>& exposed) {
  std::vector<PortRequest> out;
  std::set<std::pair<std::string, uint16_t>> bound;  // (proto, container port)
  const json pb = hc.is_object() && hc.contains("PortBindings") && !hc["PortBindings"].is_null() ? hc["PortBindings"] : json::object();
  if (!pb.is_object()) return fail(ErrorKind::Invalid, "HostConfig.PortBindings: expected an object");
  for (auto& [key, list] : pb.items()) {
    auto k = BERTH_TRY(parse_port_key(key), "");
    bound.insert({k.proto, k.port});
    if (list.is_null()) continue;
    if (!list.is_array()) return fail(ErrorKind::Invalid, "HostConfig.PortBindings[" + key + "]: expected an array");
    for (auto& b : list) {
      if (!b.is_object()) return fail(ErrorKind::Invalid, "HostConfig.PortBindings[" + key + "]: expected objects");
      PortRequest r;
      r.proto = k.proto;
      r.container_port = k.port;
      r.host_ip = b.value("HostIp", json()).is_string() ? b["HostIp"].get<std::string>() : "";
      if (r.host_ip == "0.0.0.0") r.host_ip.clear();
      if (!r.host_ip.empty() && !network::Ipv4::parse(r.host_ip))
        return fail(ErrorKind::Invalid, "invalid host IP \"" + r.host_ip + "\" for port " + key + ": berth publishes on IPv4 addresses");
      std::string hp = b.value("HostPort", json()).is_string() ? b["HostPort"].get<std::string>() : "";
      auto range = BERTH_TRY(parse_host_port(hp), "");
      r.host_lo = range.first;
      r.host_hi = range.second;
      out.push_back(r);
    }
  }
  bool all = json_flag(hc, "PublishAllPorts");
  if (all)
    for (auto& e : exposed) {
      auto k = BERTH_TRY(parse_port_key(e), "");
      if (bound.insert({k.proto, k.port}).second) out.push_back({k.proto, k.port, "", 0, 0});
    }
  std::ranges::stable_sort(out, [](auto& a, auto& b) {
    return std::tie(a.container_port, a.proto) < std::tie(b.container_port, b.proto);
  });
  return out;
}

}  // namespace berth::engine
