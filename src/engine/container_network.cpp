#include "engine/container_network.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/container_service.hpp"
#include "engine/etc_files.hpp"

namespace berth::engine {

using nlohmann::json;

json NetworkPlan::to_json() const {
  json eps = json::array();
  for (auto& e : endpoints) eps.push_back({{"network", e.network}, {"ip", e.ip}});
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
    for (auto& e : j["endpoints"]) p.endpoints.push_back({e.value("network", ""), e.value("ip", "")});
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
  auto fixed_ip = [&](std::string net) -> std::string {
    if (!eps.contains(net) && net == mode && eps.contains(given)) net = given;
    if (!eps.contains(net) || !eps[net].is_object()) return "";
    const auto& ipam = eps[net].value("IPAMConfig", json());
    return ipam.is_object() && ipam.value("IPv4Address", json()).is_string() ? ipam["IPv4Address"].get<std::string>() : "";
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
  p.endpoints.push_back({n.name, fixed_ip(mode)});
  // Further networks named in EndpointsConfig join as eth1, eth2... (docker's create sends one;
  // compose and the API may send several).
  for (auto& [name, v] : eps.items()) {
    if (name == mode || name == given || name == n.name || name == n.id) continue;
    auto other = BERTH_TRY(nets.find(name), "");
    p.endpoints.push_back({other.name, fixed_ip(name)});
  }
  for (auto& e : p.endpoints)
    if (!e.ip.empty()) {
      auto net = BERTH_TRY(nets.find(e.network), "");
      if (net.name == "bridge")
        return fail(ErrorKind::Invalid, "user specified IP address is supported on user defined networks only");
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

#include "common/fs.hpp"
#include "engine/container_service.hpp"
#include "common/log.hpp"
#include "engine/etc_files.hpp"

namespace berth::engine {

Result<> ContainerService::plan_container_network(const json& hc, const json& body,
                                                  const std::vector<std::string>& exposed, const std::string& id,
                                                  json& spec, const std::string& hostname,
                                                  const std::string& domainname) {
  if (!networks_) return {};
  json nc = body.is_object() && body.contains("NetworkingConfig") ? body["NetworkingConfig"] : json();
  auto plan = BERTH_TRY(plan_network(hc, nc, exposed, *networks_, [&](std::string_view r) -> Result<std::string> {
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
    BERTH_CHECK(write_file_atomic(path_join(dir, "resolv.conf"), resolv_conf(read_file("/etc/resolv.conf").value_or(""), dns), 0644), "");
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
  std::string name = c.name.starts_with('/') ? c.name.substr(1) : c.name;
  auto atts = BERTH_TRY(networks_->attach(c.id, plan.endpoints, plan.ports, name), "");
  auto cfg = json::parse(c.config_json, nullptr, false);
  std::string hostname = cfg.is_object() ? cfg.value("Hostname", "") : "";
  std::string domainname = cfg.is_object() ? cfg.value("Domainname", "") : "";
  if (hostname.empty()) hostname = c.id.substr(0, 12);
  std::vector<std::string> ips;
  for (auto& a : atts) ips.push_back(a.ip);
  // Replaced before the runtime bind-mounts it (containers joining this one's network
  // later mount the new file).
  auto hosts = hosts_file(hostname, domainname, ips, {});
  if (auto w = write_file_atomic(path_join(container_dir(c.id), "hosts"), hosts, 0644); !w) {
    (void)networks_->detach(c.id);
    return fail(w.error());
  }
  return {};
}

void ContainerService::release_container_network(const std::string& id) {
  if (!networks_) return;
  if (auto r = networks_->detach(id); !r) log::warn("release the network of container " + id + ": " + r.error().what());
}

}  // namespace berth::engine
