#include "network/cni_result.hpp"

#include <arpa/inet.h>

#include <cstdint>

#include "common/json_util.hpp"
#include "network/cni_config.hpp"

namespace berth::network {

namespace {

Error bad(std::string_view what, const std::string& field, std::string_view why) {
  return make_error(ErrorKind::Invalid, std::string(what) + ": " + field + ": " + std::string(why));
}

// "a.b.c.d" or an IPv6 address; family is set to AF_INET or AF_INET6.
bool parse_ip(const std::string& s, int& family) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return family = AF_INET, true;
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return family = AF_INET6, true;
  return false;
}

bool parse_cidr(const std::string& s, int& family) {
  auto slash = s.find('/');
  if (slash == std::string::npos || slash + 1 >= s.size() || s.size() - slash > 4) return false;
  if (!parse_ip(s.substr(0, slash), family)) return false;
  auto len = s.substr(slash + 1);
  if (len.find_first_not_of("0123456789") != std::string::npos) return false;
  int n = std::stoi(len);
  return n <= (family == AF_INET ? 32 : 128);
}

Result<std::string> get_string(const nlohmann::json& obj, const char* key, bool required, std::string_view what,
                               const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return fail(bad(what, field + "." + key, "missing"));
    return std::string();
  }
  if (!it->is_string()) return fail(bad(what, field + "." + key, std::string("expected string, got ") + it->type_name()));
  return it->get<std::string>();
}

Result<std::vector<std::string>> get_strings(const nlohmann::json& obj, const char* key, std::string_view what,
                                             const std::string& field) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(bad(what, field + "." + key, std::string("expected array, got ") + it->type_name()));
  for (const auto& v : *it) {
    if (!v.is_string()) return fail(bad(what, field + "." + key, "expected array of strings"));
    out.push_back(v.get<std::string>());
  }
  return out;
}

const nlohmann::json* get_array(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

std::vector<std::string> CniResult::sandbox_ips(std::string_view ifname) const {
  std::vector<std::string> out;
  for (const auto& ip : ips) {
    if (!ip.interface) continue;
    const auto& iface = interfaces[*ip.interface];
    if (iface.name == ifname && !iface.sandbox.empty()) out.push_back(ip.address.substr(0, ip.address.find('/')));
  }
  return out;
}

Result<CniResult> parse_cni_result(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) return fail(ErrorKind::Invalid, std::string(what) + ": expected a JSON object, got " + j.type_name());
  CniResult r;
  auto v = get_string(j, "cniVersion", true, what, "result");
  if (!v) return fail(v.error());
  r.cni_version = *v;
  if (!cni_version_supported(r.cni_version))
    return fail(bad(what, "result.cniVersion", "\"" + r.cni_version + "\" is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0 are)"));
  bool versioned_ips = r.cni_version != "1.0.0";

  if (auto a = get_array(j, "interfaces")) {
    if (!a->is_array()) return fail(bad(what, "interfaces", std::string("expected array, got ") + a->type_name()));
    for (size_t i = 0; i < a->size(); ++i) {
      std::string f = "interfaces[" + std::to_string(i) + "]";
      const auto& o = (*a)[i];
      if (!o.is_object()) return fail(bad(what, f, std::string("expected object, got ") + o.type_name()));
      CniInterface iface;
      auto name = get_string(o, "name", true, what, f);
      auto mac = get_string(o, "mac", false, what, f);
      auto sandbox = get_string(o, "sandbox", false, what, f);
      if (!name) return fail(name.error());
      if (!mac) return fail(mac.error());
      if (!sandbox) return fail(sandbox.error());
      r.interfaces.push_back({*name, *mac, *sandbox});
    }
  }
  if (auto a = get_array(j, "ips")) {
    if (!a->is_array()) return fail(bad(what, "ips", std::string("expected array, got ") + a->type_name()));
    for (size_t i = 0; i < a->size(); ++i) {
      std::string f = "ips[" + std::to_string(i) + "]";
      const auto& o = (*a)[i];
      if (!o.is_object()) return fail(bad(what, f, std::string("expected object, got ") + o.type_name()));
      CniIp ip;
      auto addr = get_string(o, "address", true, what, f);
      auto gw = get_string(o, "gateway", false, what, f);
      if (!addr) return fail(addr.error());
      if (!gw) return fail(gw.error());
      int family = 0, gw_family = 0;
      if (!parse_cidr(*addr, family)) return fail(bad(what, f + ".address", "\"" + *addr + "\" is not an address with a prefix length"));
      if (!gw->empty() && (!parse_ip(*gw, gw_family) || gw_family != family))
        return fail(bad(what, f + ".gateway", "\"" + *gw + "\" is not an address of the same family as " + *addr));
      ip.address = *addr;
      ip.gateway = *gw;
      ip.ipv6 = family == AF_INET6;
      if (versioned_ips) {
        auto ver = get_string(o, "version", true, what, f);
        if (!ver) return fail(ver.error());
        if (*ver != (ip.ipv6 ? "6" : "4"))
          return fail(bad(what, f + ".version", "\"" + *ver + "\" does not match the address " + *addr));
      }
      if (auto it = o.find("interface"); it != o.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<long long>() < 0 ||
            static_cast<unsigned long long>(it->get<long long>()) >= r.interfaces.size())
          return fail(bad(what, f + ".interface", "not an index into the " + std::to_string(r.interfaces.size()) + " interfaces"));
        ip.interface = it->get<size_t>();
      }
      r.ips.push_back(std::move(ip));
    }
  }
  if (auto a = get_array(j, "routes")) {
    if (!a->is_array()) return fail(bad(what, "routes", std::string("expected array, got ") + a->type_name()));
    for (size_t i = 0; i < a->size(); ++i) {
      std::string f = "routes[" + std::to_string(i) + "]";
      const auto& o = (*a)[i];
      if (!o.is_object()) return fail(bad(what, f, std::string("expected object, got ") + o.type_name()));
      auto dst = get_string(o, "dst", true, what, f);
      auto gw = get_string(o, "gw", false, what, f);
      if (!dst) return fail(dst.error());
      if (!gw) return fail(gw.error());
      int family = 0, gw_family = 0;
      if (!parse_cidr(*dst, family)) return fail(bad(what, f + ".dst", "\"" + *dst + "\" is not an address with a prefix length"));
      if (!gw->empty() && (!parse_ip(*gw, gw_family) || gw_family != family))
        return fail(bad(what, f + ".gw", "\"" + *gw + "\" is not an address of the same family as " + *dst));
      r.routes.push_back({*dst, *gw});
    }
  }
  if (auto d = j.find("dns"); d != j.end() && !d->is_null()) {
    if (!d->is_object()) return fail(bad(what, "dns", std::string("expected object, got ") + d->type_name()));
    auto ns = get_strings(*d, "nameservers", what, "dns");
    auto search = get_strings(*d, "search", what, "dns");
    auto options = get_strings(*d, "options", what, "dns");
    auto domain = get_string(*d, "domain", false, what, "dns");
    if (!ns) return fail(ns.error());
    if (!search) return fail(search.error());
    if (!options) return fail(options.error());
    if (!domain) return fail(domain.error());
    r.dns = {*ns, *search, *options, *domain};
  }
  return r;
}

nlohmann::json cni_result_json(const CniResult& r, std::string_view version) {
  nlohmann::json j = {{"cniVersion", version}};
  if (!r.interfaces.empty()) {
    auto& a = j["interfaces"] = nlohmann::json::array();
    for (const auto& i : r.interfaces) {
      nlohmann::json o = {{"name", i.name}};
      if (!i.mac.empty()) o["mac"] = i.mac;
      if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
      a.push_back(std::move(o));
    }
  }
  if (!r.ips.empty()) {
    auto& a = j["ips"] = nlohmann::json::array();
    for (const auto& ip : r.ips) {
      nlohmann::json o = {{"address", ip.address}};
      if (version != "1.0.0") o["version"] = ip.ipv6 ? "6" : "4";
      if (!ip.gateway.empty()) o["gateway"] = ip.gateway;
      if (ip.interface) o["interface"] = *ip.interface;
      a.push_back(std::move(o));
    }
  }
  if (!r.routes.empty()) {
    auto& a = j["routes"] = nlohmann::json::array();
    for (const auto& rt : r.routes) {
      nlohmann::json o = {{"dst", rt.dst}};
      if (!rt.gw.empty()) o["gw"] = rt.gw;
      a.push_back(std::move(o));
    }
  }
  nlohmann::json dns = nlohmann::json::object();
  if (!r.dns.nameservers.empty()) dns["nameservers"] = r.dns.nameservers;
  if (!r.dns.domain.empty()) dns["domain"] = r.dns.domain;
  if (!r.dns.search.empty()) dns["search"] = r.dns.search;
  if (!r.dns.options.empty()) dns["options"] = r.dns.options;
  if (!dns.empty()) j["dns"] = std::move(dns);
  return j;
}

std::optional<CniError> parse_cni_error(std::string_view text) {
  auto j = parse_json(text, "cni error");
  if (!j || !j->is_object()) return std::nullopt;
  auto code = j->find("code");
  auto msg = j->find("msg");
  if (code == j->end() || !code->is_number_unsigned() || code->get<uint64_t>() > UINT32_MAX || msg == j->end() ||
      !msg->is_string())
    return std::nullopt;
  CniError e;
  e.code = code->get<unsigned>();
  e.msg = msg->get<std::string>();
  e.details = json_string(*j, "details");
  return e;
}

}  // namespace berth::network
