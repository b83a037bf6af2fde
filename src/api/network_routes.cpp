// Networks: list, inspect, create, remove, prune, connect, disconnect, with dockerd's JSON shapes.
#include <nlohmann/json.hpp>
#include <set>

#include "common/json_util.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "engine/filters.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

json network_json(const engine::NetworkRecord& n, const std::vector<engine::EndpointRecord>& eps,
                   engine::Daemon& d) {
  json ipam_config = json::array();
  if (!n.subnet.empty()) {
    json c = {{"Subnet", n.subnet}, {"Gateway", n.gateway}};
    if (!n.ip_range.empty()) c["IPRange"] = n.ip_range;
    ipam_config.push_back(c);
  }
  json containers = json::object();
  auto prefix = n.subnet.substr(n.subnet.find('/') == std::string::npos ? n.subnet.size() : n.subnet.find('/'));
  for (auto& e : eps) {
    auto c = d.containers().get(e.container_id);
    containers[e.container_id] = {{"Name", c ? c->name.substr(1) : ""},
                                  {"EndpointID", e.endpoint_id},
                                  {"MacAddress", e.mac},
                                  {"IPv4Address", e.ip + prefix},
                                  {"IPv6Address", ""}};
  }
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv6", false},
          {"IPAM", {{"Driver", "default"}, {"Options", n.driver == "bridge" && n.name != "bridge" ? json::object() : json(nullptr)}, {"Config", ipam_config}}},
          {"Internal", n.internal},
          {"Attachable", n.attachable},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", containers},
          {"Options", n.options},
          {"Labels", n.labels}};
}

bool builtin(const engine::NetworkRecord& n) { return n.name == "bridge" || n.name == "host" || n.name == "none"; }

Result<> list_networks(Exchange& ex, engine::Daemon& d) {
  static const std::set<std::string> keys = {"dangling", "driver", "id", "label", "name", "scope", "type"};
  auto f = BERTH_TRY(engine::Filters::parse(ex.request().query_value("filters").value_or(""), keys), "");
  auto dangling = BERTH_TRY(f.get_bool("dangling"), "");
  json out = json::array();
  for (auto& n : BERTH_TRY(d.networks().list(), "")) {
    auto eps = BERTH_TRY(d.networks().endpoints(n.id), "");
    auto substring_of = [&](const std::string& key, const std::string& v) {
      if (!f.has(key)) return true;
      for (auto& want : f.get(key))
        if (v.find(want) != std::string::npos) return true;
      return false;
    };
    if (!substring_of("name", n.name) || !substring_of("id", n.id) || !f.match("driver", n.driver) ||
        !f.match("scope", "local") || !f.match_labels("label", n.labels))
      continue;
    if (f.has("type") && !f.match("type", builtin(n) ? "builtin" : "custom")) continue;
    if (dangling && *dangling != (eps.empty() && !builtin(n))) continue;
    // The list leaves Containers empty, as dockerd does.
    out.push_back(network_json(n, {}, d));
  }
  return reply_json(ex, 200, out);
}

Result<engine::NetworkCreate> network_create_request(const json& body) {
  if (!body.is_object()) return fail(ErrorKind::Invalid, "network create: expected a JSON object");
  auto str = [&](const json& obj, const char* key) -> Result<std::string> {
    if (!obj.contains(key) || obj[key].is_null()) return std::string();
    if (!obj[key].is_string()) return fail(ErrorKind::Invalid, std::string(key) + ": expected a string");
    return obj[key].get<std::string>();
  };
  auto flag = [&](const char* key) -> Result<bool> {
    if (!body.contains(key) || body[key].is_null()) return false;
    if (!body[key].is_boolean()) return fail(ErrorKind::Invalid, std::string(key) + ": expected a boolean");
    return body[key].get<bool>();
  };
  auto string_map = [&](const char* key) -> Result<std::map<std::string, std::string>> {
    std::map<std::string, std::string> m;
    if (!body.contains(key) || body[key].is_null()) return m;
    if (!body[key].is_object()) return fail(ErrorKind::Invalid, std::string(key) + ": expected an object");
    for (auto& [k, v] : body[key].items()) {
      if (!v.is_string()) return fail(ErrorKind::Invalid, std::string(key) + "." + k + ": expected a string");
      m[k] = v.get<std::string>();
    }
    return m;
  };
  engine::NetworkCreate c;
  c.name = BERTH_TRY(str(body, "Name"), "");
  c.driver = BERTH_TRY(str(body, "Driver"), "");
  if (c.driver.empty()) c.driver = "bridge";
  c.internal = BERTH_TRY(flag("Internal"), "");
  c.attachable = BERTH_TRY(flag("Attachable"), "");
  if (BERTH_TRY(flag("EnableIPv6"), "")) return fail(ErrorKind::Invalid, "IPv6 networks are not supported yet");
  c.labels = BERTH_TRY(string_map("Labels"), "");
  c.options = BERTH_TRY(string_map("Options"), "");
  if (body.contains("IPAM") && body["IPAM"].is_object()) {
    const auto& ipam = body["IPAM"];
    auto driver = BERTH_TRY(str(ipam, "Driver"), "");
    if (!driver.empty() && driver != "default") return fail(ErrorKind::NotFound, "plugin \"" + driver + "\" not found");
    if (ipam.contains("Config") && ipam["Config"].is_array()) {
      if (ipam["Config"].size() > 1) return fail(ErrorKind::Invalid, "only one IPAM configuration is supported");
      for (auto& cfg : ipam["Config"]) {
        c.subnet = BERTH_TRY(str(cfg, "Subnet"), "");
        c.ip_range = BERTH_TRY(str(cfg, "IPRange"), "");
        c.gateway = BERTH_TRY(str(cfg, "Gateway"), "");
      }
    }
  }
  return c;
}

// The body of connect/disconnect: {"Container": "...", "EndpointConfig": {...}, "Force": bool}.
Result<std::string> container_of(const json& body) {
  if (!body.is_object() || !body.value("Container", json()).is_string() || body["Container"].get<std::string>().empty())
    return fail(ErrorKind::Invalid, "Container: a container name or ID is required");
  return body["Container"].get<std::string>();
}

Result<engine::EndpointRequest> endpoint_request(const json& body) {
  engine::EndpointRequest r;
  const json ec = body.value("EndpointConfig", json());
  if (ec.is_null()) return r;
  if (!ec.is_object()) return fail(ErrorKind::Invalid, "EndpointConfig: expected an object");
  const json ipam = ec.value("IPAMConfig", json());
  if (ipam.is_object() && ipam.value("IPv4Address", json()).is_string()) r.ip = ipam["IPv4Address"].get<std::string>();
  if (ec.value("MacAddress", json()).is_string()) r.mac = ec["MacAddress"].get<std::string>();
  const json aliases = ec.value("Aliases", json());
  if (!aliases.is_null() && !aliases.is_array()) return fail(ErrorKind::Invalid, "EndpointConfig.Aliases: expected an array of strings");
  if (aliases.is_array())
    for (auto& a : aliases) {
      if (!a.is_string() || a.get<std::string>().empty())
        return fail(ErrorKind::Invalid, "EndpointConfig.Aliases: expected an array of names");
      r.aliases.push_back(a.get<std::string>());
    }
  return r;
}

}  // namespace

void add_network_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/networks", [&d](Exchange& ex) { return list_networks(ex, d); });
  r.add("GET", "/networks/{name}", [&d](Exchange& ex) -> Result<> {
    auto n = BERTH_TRY(d.networks().find(ex.request().param("name")), "");
    auto eps = BERTH_TRY(d.networks().endpoints(n.id), "");
    return reply_json(ex, 200, network_json(n, eps, d));
  });
  r.add("POST", "/networks/create", [&d](Exchange& ex) -> Result<> {
    auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
    auto req = BERTH_TRY(network_create_request(body), "");
    auto n = BERTH_TRY(d.networks().create(req), "");
    d.network_event("create", n);
    return reply_json(ex, 201, json{{"Id", n.id}, {"Warning", ""}});
  });
  r.add("DELETE", "/networks/{name}", [&d](Exchange& ex) -> Result<> {
    auto n = BERTH_TRY(d.networks().find(ex.request().param("name")), "");
    BERTH_CHECK(d.networks().remove(n.id), "");
    d.network_event("destroy", n);
    return ex.reply(204, "", "");
  });
  r.add("POST", "/networks/{name}/connect", [&d](Exchange& ex) -> Result<> {
    auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
    auto ref = BERTH_TRY(container_of(body), "");
    auto req = BERTH_TRY(endpoint_request(body), "");
    auto n = BERTH_TRY(d.networks().find(ex.request().param("name")), "");
    BERTH_CHECK(d.container_service().connect_network(ref, n.id, req), "");
    auto c = BERTH_TRY(d.containers().find(ref), "");
    d.network_event("connect", n, c.id);
    return ex.reply(200, "", "");
  });
  r.add("POST", "/networks/{name}/disconnect", [&d](Exchange& ex) -> Result<> {
    auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
    auto ref = BERTH_TRY(container_of(body), "");
    bool force = json_flag(body, "Force");
    auto n = BERTH_TRY(d.networks().find(ex.request().param("name")), "");
    auto c = d.containers().find(ref);
    BERTH_CHECK(d.container_service().disconnect_network(ref, n.id, force), "");
    if (c) d.network_event("disconnect", n, c->id);
    return ex.reply(200, "", "");
  });
  r.add("POST", "/networks/prune", [&d](Exchange& ex) -> Result<> {
    static const std::set<std::string> keys = {"until", "label", "label!"};
    auto f = BERTH_TRY(engine::Filters::parse(ex.request().query_value("filters").value_or(""), keys), "");
    json deleted = json::array();
    for (auto& n : BERTH_TRY(d.networks().list(), "")) {
      if (builtin(n) || !f.match_labels("label", n.labels)) continue;
      if (f.has("label!") && f.match_labels("label!", n.labels)) continue;
      if (!BERTH_TRY(d.networks().endpoints(n.id), "").empty()) continue;
      if (d.networks().remove(n.id)) {
        d.network_event("destroy", n);
        deleted.push_back(n.name);
      }
    }
    return reply_json(ex, 200, json{{"NetworksDeleted", deleted.empty() ? json(nullptr) : deleted}});
  });
}

}  // namespace berth::api
