#include "publish_flag.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <vector>

namespace berth::cli {

namespace {

struct Range {
  unsigned lo = 0, hi = 0;
};

// "80" or "8000-8010"; nullopt when not ports (or out of 1..65535, or reversed).
std::optional<Range> port_range(std::string_view s) {
  auto num = [](std::string_view t) -> std::optional<unsigned> {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || p != t.data() + t.size() || v == 0 || v > 65535) return std::nullopt;
    return v;
  };
  auto dash = s.find('-');
  auto lo = num(s.substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : num(s.substr(dash + 1));
  if (!lo || !hi || *hi < *lo) return std::nullopt;
  return Range{*lo, *hi};
}

Result<std::string> protocol(std::string_view s) {
  if (s.empty() || s == "tcp" || s == "udp" || s == "sctp") return std::string(s.empty() ? "tcp" : s);
  return fail(ErrorKind::Invalid, "invalid proto: " + std::string(s));
}

}  // namespace

Result<> add_expose(nlohmann::json& exposed, std::string_view spec) {
  auto slash = spec.find('/');
  auto proto = BERTH_TRY(protocol(slash == std::string_view::npos ? "" : spec.substr(slash + 1)), "");
  auto r = port_range(spec.substr(0, slash));
  if (!r) return fail(ErrorKind::Invalid, "invalid range format for --expose: " + std::string(spec));
  for (unsigned p = r->lo; p <= r->hi; ++p) exposed[std::to_string(p) + "/" + proto] = nlohmann::json::object();
  return {};
}

Result<> add_publish(nlohmann::json& bindings, nlohmann::json& exposed, std::string_view spec) {
  std::string_view rest = spec, ip;
  // An IPv6 address comes in brackets: "[::1]:8080:80".
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(ErrorKind::Invalid, "invalid IP address: " + std::string(spec));
    ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.starts_with(':')) return fail(ErrorKind::Invalid, "invalid port format: " + std::string(spec));
    rest = rest.substr(1);
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    auto colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  std::string_view host, container;
  if (!ip.empty()) {
    if (parts.size() != 2) return fail(ErrorKind::Invalid, "invalid port format: " + std::string(spec));
    host = parts[0];
    container = parts[1];
  } else if (parts.size() == 1) {
    container = parts[0];
  } else if (parts.size() == 2) {
    host = parts[0];
    container = parts[1];
  } else if (parts.size() == 3) {
    ip = parts[0];
    host = parts[1];
    container = parts[2];
  } else {
    return fail(ErrorKind::Invalid, "invalid port format: " + std::string(spec));
  }
  if (!ip.empty()) {
    unsigned char buf[16];
    std::string a(ip);
    if (inet_pton(AF_INET, a.c_str(), buf) != 1 && inet_pton(AF_INET6, a.c_str(), buf) != 1)
      return fail(ErrorKind::Invalid, "invalid IP address: " + a);
  }
  auto slash = container.find('/');
  auto proto = BERTH_TRY(protocol(slash == std::string_view::npos ? "" : container.substr(slash + 1)), "");
  container = container.substr(0, slash);
  auto cr = port_range(container);
  if (!cr) return fail(ErrorKind::Invalid, "invalid containerPort: " + std::string(container));
  std::optional<Range> hr;
  if (!host.empty()) {
    hr = port_range(host);
    if (!hr) return fail(ErrorKind::Invalid, "invalid hostPort: " + std::string(host));
  }
  unsigned count = cr->hi - cr->lo + 1;
  if (hr && count > 1 && hr->hi - hr->lo + 1 != count)
    return fail(ErrorKind::Invalid, "invalid ranges specified for container and host Ports: " + std::string(container) +
                                        " and " + std::string(host));
  for (unsigned i = 0; i < count; ++i) {
    std::string key = std::to_string(cr->lo + i) + "/" + proto;
    std::string host_port;
    if (hr && count > 1) host_port = std::to_string(hr->lo + i);
    else if (hr) host_port = hr->lo == hr->hi ? std::to_string(hr->lo) : std::string(host);
    exposed[key] = nlohmann::json::object();
    if (!bindings.contains(key)) bindings[key] = nlohmann::json::array();
    bindings[key].push_back({{"HostIp", std::string(ip)}, {"HostPort", host_port}});
  }
  return {};
}

std::string ports_column(const nlohmann::json& ports) {
  std::string out;
  if (!ports.is_array()) return out;
  for (auto& p : ports) {
    if (!p.is_object()) continue;
    std::string entry = std::to_string(p.value("PrivatePort", 0)) + "/" + p.value("Type", std::string("tcp"));
    if (p.contains("PublicPort")) {
      std::string ip = p.value("IP", std::string());
      if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
      entry = ip + ":" + std::to_string(p.value("PublicPort", 0)) + "->" + entry;
    }
    out += (out.empty() ? "" : ", ") + entry;
  }
  return out;
}

}  // namespace berth::cli
