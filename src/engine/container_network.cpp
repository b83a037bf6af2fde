#include "engine/container_network.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/container_service.hpp"
#include "engine/etc_files.hpp"
#include "network/netlink.hpp"

namespace berth::engine {

using nlohmann::json;

json NetworkPlan::to_json() const {
  json eps = json::array();
  for (auto& e : endpoints)
    eps.push_back({{"network", e.network}, {"ip", e.ip}, {"mac", e.mac}, {"aliases", e.aliases}});
  json ps = json::array();
  for (auto& p : ports) ps.push_back(p.to_json());
  return {{"mode", mode}, {"endpoints", eps}, {"container", container}, {"ports", ps}};
}

NetworkPlan NetworkPlan::from_json(const json& j) {
  NetworkPlan p;
  if (!j.is_object()) return p;
  p.mode = j.value("mode", "bridge");
  p.container = j.value("container", "");
  if (j.contains("endpoints") && j["endpoints"].is_array())
    for (auto& e : j["endpoints"]) {
      EndpointRequest r{e.value("network", ""), e.value("ip", ""), e.value("mac", "")};
      if (e.contains("aliases") && e["aliases"].is_array())
        for (auto& a : e["aliases"])
          if (a.is_string()) r.aliases.push_back(a.get<std::string>());
      p.endpoints.push_back(std::move(r));
    }
  if (j.contains("ports") && j["ports"].is_array())
    for (auto& e : j["ports"]) p.ports.push_back(PortRequest::from_json(e));
  return p;
}

Result<NetworkPlan> plan_network(const json& hc, const json& nc, const std::vector<std::string>& exposed,
                                 NetworkService& nets,
                                 const std::function<Result<std::string>(std::string_view)>& container_id) {
  auto ports = BERTH_TRY(port_requests(hc, exposed), "");
  if (hc.contains("NetworkMode") && !hc["NetworkMode"].is_null() && !hc["NetworkMode"].is_string())
    return fail(ErrorKind::Invalid, "HostConfig.NetworkMode: expected a string");
  std::string given = hc.value("NetworkMode", json()).is_string() ? hc["NetworkMode"].get<std::string>() : "";
  std::string mode = given.empty() || given == "default" ? "bridge" : given;
  // EndpointsConfig: {"net": {"IPAMConfig": {"IPv4Address": "..."}}} per network asked for.
  json eps = nc.is_object() && nc.contains("EndpointsConfig") && nc["EndpointsConfig"].is_object()
                 ? nc["EndpointsConfig"] : json::object();
  // Clients key the endpoint by the mode as they sent it ("default" too).
  auto endpoint = [&](std::string net) -> json {
    if (!eps.contains(net) && net == mode && eps.contains(given)) net = given;
    return eps.contains(net) && eps[net].is_object() ? eps[net] : json::object();
  };
  auto fixed_ip = [&](const std::string& net) -> std::string {
    const auto& ipam = endpoint(net).value("IPAMConfig", json());
    return ipam.is_object() && ipam.value("IPv4Address", json()).is_string() ? ipam["IPv4Address"].get<std::string>() : "";
  };
  auto mac_of = [&](const std::string& net) -> std::string {
    auto m = endpoint(net).value("MacAddress", json());
    return m.is_string() ? m.get<std::string>() : "";
  };
  // EndpointsConfig.<net>.Aliases (--network-alias; compose's service name).
  auto aliases = [&](const std::string& net) -> Result<std::vector<std::string>> {
    auto a = endpoint(net).value("Aliases", json());
    std::vector<std::string> out;
    if (a.is_null()) return out;
    if (!a.is_array()) return fail(ErrorKind::Invalid, "EndpointsConfig." + net + ".Aliases: expected an array of strings");
    for (auto& v : a) {
      if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > 253)
        return fail(ErrorKind::Invalid, "EndpointsConfig." + net + ".Aliases: expected names of 1 to 253 characters");
      out.push_back(v.get<std::string>());
    }
    return out;
  };
  NetworkPlan p;
  if (mode == "none" || mode == "host") {
    p.mode = mode;
    for (auto& [k, v] : eps.items())
      if (k != mode) return fail(ErrorKind::Invalid, "container cannot be disconnected from host network or connected to host network");
    return p;
  }
  if (mode.starts_with("container:")) {
    if (!ports.empty()) return fail(ErrorKind::Invalid, "conflicting options: port publishing and the container type network mode");
    p.mode = "container";
    p.container = BERTH_TRY(container_id(mode.substr(10)), "");
    if (!eps.empty()) return fail(ErrorKind::Invalid, "conflicting options: container type network can't be used with links or endpoint settings");
    return p;
  }
  // dockerd learns of an unknown network at start; a 404 from create would make the docker
  // client pull the image instead of reporting it, so it is a 400 here.
  auto found = nets.find(mode);
  if (!found && found.error().kind == ErrorKind::NotFound) return fail(ErrorKind::Invalid, found.error().message);
  auto n = BERTH_TRY(std::move(found), "");
  if (n.driver == "host" || n.driver == "null") return plan_network(json{{"NetworkMode", n.name}}, nc, {}, nets, container_id);
  p.mode = "bridge";
  p.ports = std::move(ports);
  p.endpoints.push_back({n.name, fixed_ip(mode), mac_of(mode), BERTH_TRY(aliases(mode), "")});
  // Further networks named in EndpointsConfig join as eth1, eth2... (docker's create sends one;
  // compose and the API may send several).
  for (auto& [name, v] : eps.items()) {
    if (name == mode || name == given || name == n.name || name == n.id) continue;
    auto other = BERTH_TRY(nets.find(name), "");
    p.endpoints.push_back({other.name, fixed_ip(name), mac_of(name), BERTH_TRY(aliases(name), "")});
  }
  for (auto& e : p.endpoints) {
    if (!e.mac.empty() && !network::parse_mac(e.mac)) return fail(ErrorKind::Invalid, "invalid MAC address: " + e.mac);
    if (e.network != "bridge") continue;  // names, as the plan holds them
    if (!e.ip.empty()) return fail(ErrorKind::Invalid, "user specified IP address is supported on user defined networks only");
    if (!e.aliases.empty())
      return fail(ErrorKind::Invalid, "network-scoped alias is supported only for containers in user defined networks");
  }
  return p;
}

void apply_network_plan(json& spec, const NetworkPlan& p, const std::string& netns_path, const std::string& etc_dir) {
  json& nss = spec["linux"]["namespaces"];
  json kept = json::array();
  for (auto& ns : nss)
    if (ns.value("type", "") != "network") kept.push_back(ns);
  if (p.mode != "host") kept.push_back({{"type", "network"}, {"path", netns_path}});
  nss = kept;
  for (const char* f : {"hosts", "hostname", "resolv.conf"})
    spec["mounts"].push_back({{"destination", std::string("/etc/") + f},
                              {"type", "bind"},
                              {"source", etc_dir + "/" + f},
                              {"options", {"rbind", "rprivate"}}});
}

}  // namespace berth::engine
