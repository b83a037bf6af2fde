#include "engine/container_network.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/container_service.hpp"
#include "engine/etc_files.hpp"

namespace berth::engine {

using nlohmann::json;

json NetworkPlan::to_json() const {
  json eps = json::array();
  for (auto& e : endpoints) eps.push_back({{"network", e.network}, {"ip", e.ip}, {"aliases", e.aliases}});
  return {{"mode", mode}, {"endpoints", eps}, {"container", container}};
}

NetworkPlan NetworkPlan::from_json(const json& j) {
  NetworkPlan p;
  if (!j.is_object()) return p;
  p.mode = j.value("mode", "bridge");
  p.container = j.value("container", "");
  if (j.contains("endpoints") && j["endpoints"].is_array())
    for (auto& e : j["endpoints"]) {
      EndpointRequest r{e.value("network", ""), e.value("ip", ""), {}};
      if (e.contains("aliases") && e["aliases"].is_array())
        for (auto& a : e["aliases"])
          if (a.is_string()) r.aliases.push_back(a.get<std::string>());
      p.endpoints.push_back(std::move(r));
    }
  return p;
}

Result<NetworkPlan> plan_network(const json& hc, const json& nc, NetworkService& nets,
                                 const std::function<Result<std::string>(std::string_view)>& container_id) {
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
  if (n.driver == "host" || n.driver == "null") return plan_network(json{{"NetworkMode", n.name}}, nc, nets, container_id);
  p.mode = "bridge";
  p.endpoints.push_back({n.name, fixed_ip(mode), BERTH_TRY(aliases(mode), "")});
  // Further networks named in EndpointsConfig join as eth1, eth2... (docker's create sends one;
  // compose and the API may send several).
  for (auto& [name, v] : eps.items()) {
    if (name == mode || name == given || name == n.name || name == n.id) continue;
    auto other = BERTH_TRY(nets.find(name), "");
    p.endpoints.push_back({other.name, fixed_ip(name), BERTH_TRY(aliases(name), "")});
  }
  for (auto& e : p.endpoints) {
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

// ---- ContainerService's steps ----

#include <algorithm>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/container_service.hpp"
#include "engine/etc_files.hpp"

namespace berth::engine {

Result<> ContainerService::plan_container_network(const json& hc, const json& body, const std::string& id,
                                                  json& spec, const std::string& hostname,
                                                  const std::string& domainname) {
  if (!networks_) return {};
  json nc = body.is_object() && body.contains("NetworkingConfig") ? body["NetworkingConfig"] : json();
  auto plan = BERTH_TRY(plan_network(hc, nc, *networks_, [&](std::string_view r) -> Result<std::string> {
    auto other = BERTH_TRY(store_.find(r), "");
    return other.id;
  }), "");
  std::string dir = container_dir(id);
  BERTH_CHECK(mkdir_p(dir, 0711), "create container dir");
  if (plan.mode == "container") {
    // The other container's namespace and /etc files; the host's when it runs on the host's.
    auto other = NetworkPlan::from_json(json::parse(read_file(path_join(container_dir(plan.container), kNetworkingFile)).value_or("{}"),
                                                    nullptr, false));
    NetworkPlan joined = plan;
    if (other.mode == "host") joined.mode = "host";
    apply_network_plan(spec, joined, networks_->netns_path(plan.container), container_dir(plan.container));
  } else {
    apply_network_plan(spec, plan, networks_->netns_path(id), dir);
    DnsSettings dns;
    auto strings = [&](const char* key) {
      std::vector<std::string> out;
      if (hc.contains(key) && hc[key].is_array())
        for (auto& v : hc[key])
          if (v.is_string()) out.push_back(v.get<std::string>());
      return out;
    };
    dns.servers = strings("Dns");
    dns.search = strings("DnsSearch");
    dns.options = strings("DnsOptions");
    // User-defined networks have the embedded resolver; the default bridge a copy of the host's.
    bool embedded = std::ranges::any_of(plan.endpoints, [](auto& e) { return e.network != "bridge"; });
    auto host = read_file(config_.resolv_conf).value_or("");
    BERTH_CHECK(write_file_atomic(path_join(dir, "resolv.conf"),
                                  embedded ? embedded_resolv_conf(host, dns) : resolv_conf(host, dns), 0644), "");
    BERTH_CHECK(write_file_atomic(path_join(dir, "hostname"), hostname + "\n", 0644), "");
    BERTH_CHECK(write_file_atomic(path_join(dir, "hosts"), hosts_file(hostname, domainname, {}, {}), 0644), "");
  }
  return write_file_atomic(path_join(dir, kNetworkingFile), plan.to_json().dump() + "\n", 0600);
}

Result<> ContainerService::connect_container_network(const ContainerRecord& c) {
  if (!networks_) return {};
  auto text = read_file(path_join(container_dir(c.id), kNetworkingFile));
  if (!text) return {};  // created before networking: the runtime's own namespace
  auto plan = NetworkPlan::from_json(json::parse(*text, nullptr, false));
  if (plan.mode == "host") return {};
  if (plan.mode == "none") return networks_->make_isolated_netns(c.id);
  if (plan.mode == "container") {
    auto other = store_.get(plan.container);
    if (!other || !is_live(other->state))
      return fail(ErrorKind::Conflict, "cannot join network of a non running container: " + plan.container);
    return {};
  }
  auto atts = BERTH_TRY(networks_->attach(c.id, plan.endpoints), "");
  auto cfg = json::parse(c.config_json, nullptr, false);
  std::string hostname = cfg.is_object() ? cfg.value("Hostname", "") : "";
  std::string domainname = cfg.is_object() ? cfg.value("Domainname", "") : "";
  if (hostname.empty()) hostname = c.id.substr(0, 12);
  std::vector<std::string> ips;
  for (auto& a : atts) ips.push_back(a.ip);
  // Replaced before the runtime bind-mounts it (containers joining this one's network
  // later mount the new file).
  auto hosts = hosts_file(hostname, domainname, ips, {});
  auto w = write_file_atomic(path_join(container_dir(c.id), "hosts"), hosts, 0644);
  if (w) w = networks_->serve_dns(c.id, dns_identity(c), plan.endpoints);
  if (!w) {
    (void)networks_->detach(c.id);
    return fail(w.error());
  }
  return {};
}

DnsIdentity ContainerService::dns_identity(const ContainerRecord& c) {
  DnsIdentity who;
  who.name = c.name.starts_with("/") ? c.name.substr(1) : c.name;
  auto cfg = json::parse(c.config_json, nullptr, false);
  who.hostname = cfg.is_object() && cfg.value("Hostname", json()).is_string() ? cfg["Hostname"].get<std::string>() : "";
  if (who.hostname.empty()) who.hostname = c.id.substr(0, 12);
  auto hc = json::parse(c.host_config_json, nullptr, false);
  if (hc.is_object() && hc.contains("Dns") && hc["Dns"].is_array())
    for (auto& v : hc["Dns"])
      if (v.is_string()) who.servers.push_back(v.get<std::string>());
  return who;
}

void ContainerService::serve_container_dns(const ContainerRecord& c, bool names_only) {
  if (!networks_) return;
  auto text = read_file(path_join(container_dir(c.id), kNetworkingFile));
  if (!text) return;
  auto plan = NetworkPlan::from_json(json::parse(*text, nullptr, false));
  if (plan.mode != "bridge") return;
  Result<> r;
  if (names_only) {
    if (auto u = networks_->update_dns_names(c.id, dns_identity(c), plan.endpoints); !u) r = fail(u.error());
  } else {
    r = networks_->serve_dns(c.id, dns_identity(c), plan.endpoints);
  }
  if (!r) log::warn("embedded DNS of container " + c.id + ": " + r.error().what());
}

void ContainerService::release_container_network(const std::string& id) {
  if (!networks_) return;
  if (auto r = networks_->detach(id); !r) log::warn("release the network of container " + id + ": " + r.error().what());
}

}  // namespace berth::engine
