// ContainerService's networking steps: at create the plan, spec edits and /etc files; at each
// start the interfaces; at exit and removal their release; network connect and disconnect.
#include <unistd.h>

#include <algorithm>

#include "common/json_util.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/container_network.hpp"
#include "engine/container_service.hpp"
#include "engine/etc_files.hpp"
#include "network/netlink.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// The plan recorded at create; an older container without one is on the default bridge.
NetworkPlan read_plan(const std::string& dir) {
  auto text = read_file(path_join(dir, kNetworkingFile));
  return NetworkPlan::from_json(text ? json::parse(*text, nullptr, false) : json());
}

// --add-host's host-gateway: the host's address on the default bridge, as dockerd's.
std::string host_gateway(NetworkService& nets) {
  auto bridge = nets.find("bridge");
  return bridge ? bridge->gateway : "";
}

}  // namespace

Result<> ContainerService::plan_container_network(const json& hc, const json& body,
                                                  const std::vector<std::string>& exposed, const std::string& id,
                                                  json& spec, const std::string& hostname,
                                                  const std::string& domainname, bool pinned_netns) {
  if (!networks_) return {};
  json nc = body.is_object() && body.contains("NetworkingConfig") ? body["NetworkingConfig"] : json();
  auto plan = BERTH_TRY(plan_network(hc, nc, exposed, *networks_, [&](std::string_view r) -> Result<std::string> {
    auto other = BERTH_TRY(store_.find(r), "");
    return other.id;
  }), "");
  // Clients before API 1.44 send --mac-address as Config.MacAddress: the first network's.
  if (auto mac = body.value("MacAddress", json()); mac.is_string() && !mac.get<std::string>().empty() &&
                                                  !plan.endpoints.empty() && plan.endpoints[0].mac.empty()) {
    if (!network::parse_mac(mac.get<std::string>()))
      return fail(ErrorKind::Invalid, "invalid MAC address: " + mac.get<std::string>());
    plan.endpoints[0].mac = mac.get<std::string>();
  }
  if (pinned_netns) {
    if (plan.mode != "none") return fail(ErrorKind::Invalid, "a container in a pinned network namespace needs NetworkMode none");
    plan.mode = "pinned";
  }
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
    auto extra = BERTH_TRY(extra_hosts(hc, host_gateway(*networks_)), "");
    BERTH_CHECK(write_file_atomic(path_join(dir, "hosts"), hosts_file(hostname, domainname, {}, extra), 0644), "");
  }
  return write_file_atomic(path_join(dir, kNetworkingFile), plan.to_json().dump() + "\n", 0600);
}

bool ContainerService::netns_pinned(const std::string& id) const {
  return read_plan(container_dir(id)).mode == "pinned";
}

Result<> ContainerService::connect_container_network(const ContainerRecord& c) {
  if (!networks_) return {};
  auto text = read_file(path_join(container_dir(c.id), kNetworkingFile));
  if (!text) return {};  // created before networking: the runtime's own namespace
  auto plan = NetworkPlan::from_json(json::parse(*text, nullptr, false));
  if (plan.mode == "host") return {};
  if (plan.mode == "none") return networks_->make_isolated_netns(c.id);
  if (plan.mode == "pinned") {
    if (access(networks_->netns_path(c.id).c_str(), F_OK) != 0)
      return fail(ErrorKind::Conflict, "the network namespace of container " + c.id + " is gone");
    return {};
  }
  if (plan.mode == "container") {
    auto other = store_.get(plan.container);
    if (!other || !is_live(other->state))
      return fail(ErrorKind::Conflict, "cannot join network of a non running container: " + plan.container);
    return {};
  }
  std::string name = c.name.starts_with('/') ? c.name.substr(1) : c.name;
  auto atts = BERTH_TRY(networks_->attach(c.id, plan.endpoints, plan.ports, name), "");
  auto cfg = json::parse(c.config_json, nullptr, false);
  std::string hostname = json_string(cfg, "Hostname");
  std::string domainname = json_string(cfg, "Domainname");
  if (hostname.empty()) hostname = c.id.substr(0, 12);
  std::vector<std::string> ips;
  for (auto& a : atts) ips.push_back(a.ip);
  // Replaced before the runtime bind-mounts it (containers joining this one's network
  // later mount the new file).
  auto extra = extra_hosts(json::parse(c.host_config_json, nullptr, false), host_gateway(*networks_));
  auto hosts = hosts_file(hostname, domainname, ips, extra ? *extra : std::vector<HostsEntry>{});
  std::string hosts_path = path_join(container_dir(c.id), "hosts");
  auto w = write_file_atomic(hosts_path, hosts, 0644);
  if (auto root = remapped_root_of(c.id); w && root && chown(hosts_path.c_str(), root->first, root->second) != 0)
    w = fail_sys("userns-remap: own " + hosts_path);  // a new file: its remapped root's again
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
  auto plan = read_plan(container_dir(c.id));
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
  if (read_plan(container_dir(id)).mode == "pinned") return;  // its owner's to remove
  if (auto r = networks_->detach(id); !r) log::warn("release the network of container " + id + ": " + r.error().what());
}

Result<> ContainerService::connect_network(std::string_view ref, const std::string& network_ref,
                                          const EndpointRequest& req) {
  if (!networks_) return fail(ErrorKind::Unavailable, "networking is not available");
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  auto n = BERTH_TRY(networks_->find(network_ref), "");
  auto dir = container_dir(c.id);
  auto plan = read_plan(dir);
  if (n.driver == "host")
    return fail(ErrorKind::Permission, "container cannot be disconnected from host network or connected to host network");
  if (plan.mode == "host" || plan.mode == "container" || plan.mode == "pinned")
    return fail(ErrorKind::Permission,
                "container sharing network namespace with another container or host cannot be connected to any other network");
  if (plan.mode == "none" || n.driver == "null")
    return fail(ErrorKind::Permission,
                "container cannot be connected to multiple networks with one of the networks in private (none) mode");
  for (auto& e : plan.endpoints) {
    auto other = networks_->find(e.network);
    if (other && other->id == n.id)
      return fail(ErrorKind::Permission, "endpoint with name " + c.name.substr(1) + " already exists in network " + n.name);
  }
  if (!req.ip.empty() && n.name == "bridge")
    return fail(ErrorKind::Invalid, "user specified IP address is supported on user defined networks only");
  if (!req.aliases.empty() && n.name == "bridge")
    return fail(ErrorKind::Invalid, "network-scoped alias is supported only for containers in user defined networks");
  EndpointRequest added = req;
  added.network = n.name;
  if (c.state == "running" || c.state == "paused") BERTH_CHECK(networks_->connect(c.id, added), "");
  plan.endpoints.push_back(added);
  if (auto w = write_file_atomic(path_join(dir, kNetworkingFile), plan.to_json().dump() + "\n", 0600); !w) {
    (void)networks_->disconnect(c.id, n.id);
    return fail(w.error());
  }
  if (c.state == "running" || c.state == "paused") serve_container_dns(c);  // its names on the new network
  return {};
}

Result<> ContainerService::disconnect_network(std::string_view ref, const std::string& network_ref, bool force) {
  if (!networks_) return fail(ErrorKind::Unavailable, "networking is not available");
  std::unique_lock lk(mu_);
  auto c = store_.find(ref);
  if (!c && force) return {};  // dockerd: a forced disconnect of a container that is gone succeeds
  if (!c) return fail(c.error());
  auto n = BERTH_TRY(networks_->find(network_ref), "");
  auto dir = container_dir(c->id);
  auto plan = read_plan(dir);
  if (plan.mode == "host" && n.driver == "host")
    return fail(ErrorKind::Permission, "container cannot be disconnected from host network or connected to host network");
  auto it = std::ranges::find_if(plan.endpoints, [&](auto& e) {
    auto other = networks_->find(e.network);
    return other && other->id == n.id;
  });
  if (it == plan.endpoints.end())
    return fail(ErrorKind::Permission, "container " + c->id + " is not connected to network " + n.name);
  if (c->state == "running" || c->state == "paused") BERTH_CHECK(networks_->disconnect(c->id, n.id), "");
  plan.endpoints.erase(it);
  BERTH_CHECK(write_file_atomic(path_join(dir, kNetworkingFile), plan.to_json().dump() + "\n", 0600), "");
  if (c->state == "running" || c->state == "paused") refresh_container_dns(*c);  // gone from that network
  return {};
}

}  // namespace berth::engine
