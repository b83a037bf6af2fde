#include "api/container_json.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "api/api_version.hpp"
#include "api/image_json.hpp"
#include "common/fs.hpp"
#include "engine/container_namespace.hpp"
#include "engine/container_network.hpp"
#include "engine/exit_record.hpp"
#include "engine/filters.hpp"
#include "engine/security_spec.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

json parse_object(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json::object();
}

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array())
    for (auto& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

// Entrypoint + Cmd of the merged config.
std::vector<std::string> command_of(const json& config) {
  auto args = strings_of(config.value("Entrypoint", json()));
  auto cmd = strings_of(config.value("Cmd", json()));
  args.insert(args.end(), cmd.begin(), cmd.end());
  return args;
}

std::map<std::string, std::string> labels_of(const json& config) {
  std::map<std::string, std::string> out;
  if (config.contains("Labels") && config["Labels"].is_object())
    for (auto& [k, v] : config["Labels"].items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string human_duration(int64_t s) {
  auto plural = [](int64_t n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
  if (s < 1) return "Less than a second";
  if (s == 1) return "1 second";
  if (s < 60) return std::to_string(s) + " seconds";
  int64_t m = s / 60;
  if (m == 1) return "About a minute";
  if (m < 60) return std::to_string(m) + " minutes";
  int64_t h = (s + 1800) / 3600;  // go-units rounds hours
  if (h == 1) return "About an hour";
  if (h < 48) return std::to_string(h) + " hours";
  if (h < 24 * 7 * 2) return plural(h / 24, "day");
  if (h < 24 * 30 * 2) return plural(h / 24 / 7, "week");
  if (h < 24 * 365 * 2) return plural(h / 24 / 30, "month");
  return plural(s / 3600 / 24 / 365, "year");
}

std::string container_status_text(const engine::ContainerRecord& c, int64_t now) {
  if (c.state == "running") return "Up " + human_duration(now - unix_seconds(c.started));
  if (c.state == "exited") {
    if (c.finished.empty()) return "Exited (" + std::to_string(c.exit_code) + ")";
    return "Exited (" + std::to_string(c.exit_code) + ") " + human_duration(now - unix_seconds(c.finished)) + " ago";
  }
  if (c.state == "created") return "Created";
  if (c.state == "paused") return "Up " + human_duration(now - unix_seconds(c.started)) + " (Paused)";
  if (c.state == "restarting")
    return "Restarting (" + std::to_string(c.exit_code) + ") " + human_duration(now - unix_seconds(c.finished)) + " ago";
  if (c.state == "dead") return "Dead";
  if (c.state == "removing") return "Removal In Progress";
  return c.state;
}

namespace {

// `docker ps`'s Status of a running container with a health check: "Up 3 seconds (healthy)".
std::string status_with_health(engine::Daemon& d, const engine::ContainerRecord& c, int64_t now) {
  std::string s = container_status_text(c, now);
  if (c.state == "running")
    if (auto h = d.health().health(c.id)) s += " (" + engine::health_status_text(*h) + ")";
  return s;
}

// Every HostConfig key dockerd prints, with its value when the create body left it out.
json host_config_defaults() {
  json empty_list = json::array();
  return {{"Binds", nullptr}, {"ContainerIDFile", ""}, {"LogConfig", {{"Type", "json-file"}, {"Config", json::object()}}},
          {"NetworkMode", "none"}, {"PortBindings", json::object()},
          {"RestartPolicy", {{"Name", "no"}, {"MaximumRetryCount", 0}}}, {"AutoRemove", false}, {"VolumeDriver", ""},
          {"VolumesFrom", nullptr}, {"CapAdd", nullptr}, {"CapDrop", nullptr}, {"CgroupnsMode", "host"},
          {"Dns", empty_list}, {"DnsOptions", empty_list}, {"DnsSearch", empty_list}, {"ExtraHosts", nullptr},
          {"GroupAdd", nullptr}, {"IpcMode", "private"}, {"Cgroup", ""}, {"Links", nullptr}, {"OomScoreAdj", 0},
          {"PidMode", ""}, {"Privileged", false}, {"PublishAllPorts", false}, {"ReadonlyRootfs", false},
          {"SecurityOpt", nullptr}, {"UTSMode", ""}, {"UsernsMode", ""}, {"ShmSize", 67108864}, {"Runtime", "berth"},
          {"ConsoleSize", json::array({0, 0})}, {"Isolation", ""}, {"CpuShares", 0}, {"Memory", 0}, {"NanoCpus", 0},
          {"CgroupParent", ""}, {"BlkioWeight", 0}, {"BlkioWeightDevice", empty_list},
          {"BlkioDeviceReadBps", empty_list}, {"BlkioDeviceWriteBps", empty_list},
          {"BlkioDeviceReadIOps", empty_list}, {"BlkioDeviceWriteIOps", empty_list}, {"CpuPeriod", 0},
          {"CpuQuota", 0}, {"CpuRealtimePeriod", 0}, {"CpuRealtimeRuntime", 0}, {"CpusetCpus", ""},
          {"CpusetMems", ""}, {"Devices", empty_list}, {"DeviceCgroupRules", nullptr}, {"DeviceRequests", nullptr},
          {"KernelMemory", 0}, {"KernelMemoryTCP", 0}, {"MemoryReservation", 0}, {"MemorySwap", 0},
          {"MemorySwappiness", nullptr}, {"OomKillDisable", false}, {"PidsLimit", nullptr}, {"Ulimits", empty_list},
          {"CpuCount", 0}, {"CpuPercent", 0}, {"IOMaximumIOps", 0}, {"IOMaximumBandwidth", 0},
          {"MaskedPaths", engine::docker_masked_paths()}, {"ReadonlyPaths", engine::docker_readonly_paths()}};
}

// Every Config key dockerd prints.
json config_defaults() {
  return {{"Hostname", ""},     {"Domainname", ""},      {"User", ""},        {"AttachStdin", false},
          {"AttachStdout", false}, {"AttachStderr", false}, {"Tty", false},   {"OpenStdin", false},
          {"StdinOnce", false}, {"Env", nullptr},       {"Cmd", nullptr},    {"Image", ""},
          {"Volumes", nullptr}, {"WorkingDir", ""},     {"Entrypoint", nullptr}, {"OnBuild", nullptr},
          {"Labels", json::object()}};
}

// Defaults under the stored values: a key the stored object has wins, even when null.
json with_defaults(json defaults, const json& given) {
  for (auto& [k, v] : given.items()) defaults[k] = v;
  return defaults;
}

// The container's generated /etc file, "" when it has none (created before networking).
std::string etc_path(engine::ContainerService& svc, const std::string& id, const char* name) {
  auto p = svc.container_dir(id) + "/" + name;
  return access(p.c_str(), F_OK) == 0 ? p : "";
}

// HostConfig.NetworkMode as stored; "bridge" when absent or "default" (as dockerd shows it).
std::string network_mode(const json& hc) {
  auto it = hc.find("NetworkMode");
  std::string m = it != hc.end() && it->is_string() ? it->get<std::string>() : "";
  return m.empty() || m == "default" ? "bridge" : m;
}

// A container's names on one network: Aliases (--network-alias) and DNSNames (API 1.44) as
// dockerd shows them; before API 1.45 the short ID and hostname are among the Aliases too.
struct EndpointNames {
  json aliases = nullptr, dns_names = nullptr;
};

EndpointNames endpoint_names(engine::ContainerService& svc, const engine::ContainerRecord& c,
                             const std::string& network, const std::string& api_version) {
  EndpointNames out;
  if (network == "bridge" || network == "host" || network == "none" || network.starts_with("container:")) return out;
  auto plan = engine::NetworkPlan::from_json(
      json::parse(read_file(path_join(svc.container_dir(c.id), engine::kNetworkingFile)).value_or("{}"), nullptr, false));
  std::vector<std::string> aliases;
  for (auto& e : plan.endpoints)
    if (e.network == network) aliases = e.aliases;
  auto who = engine::ContainerService::dns_identity(c);
  auto names = engine::dns_names(c.id, who, aliases);
  if (!api_version.empty() && compare_versions(api_version, "1.45") < 0)
    for (auto& n : {c.id.substr(0, 12), who.hostname})
      if (std::ranges::find(aliases, n) == aliases.end()) aliases.push_back(n);
  if (!aliases.empty()) out.aliases = aliases;
  if (api_version.empty() || compare_versions(api_version, "1.44") >= 0) out.dns_names = names;
  return out;
}

json endpoint_settings(const std::string& network_id, const engine::EndpointRecord* e, const engine::NetworkRecord* n,
                       const EndpointNames& names) {
  int prefix = 0;
  if (n && n->subnet.find('/') != std::string::npos) prefix = std::stoi(n->subnet.substr(n->subnet.find('/') + 1));
  json ipam = e && e->fixed_ip ? json{{"IPv4Address", e->ip}} : json(nullptr);
  return {{"IPAMConfig", ipam},
          {"Links", nullptr},
          {"Aliases", names.aliases},
          {"DNSNames", names.dns_names},
          {"NetworkID", network_id},
          {"EndpointID", e ? e->endpoint_id : ""},
          {"Gateway", e && n ? n->gateway : ""},
          {"IPAddress", e ? e->ip : ""},
          {"IPPrefixLen", e ? prefix : 0},
          {"IPv6Gateway", ""},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"MacAddress", e ? e->mac : ""},
          {"DriverOpts", nullptr}};
}

// The container's ExposedPorts keys (its config holds the image's too), in dockerd's order.
std::vector<std::string> exposed_keys(const json& config) {
  std::vector<std::string> out;
  if (config.contains("ExposedPorts") && config["ExposedPorts"].is_object())
    for (auto& [k, v] : config["ExposedPorts"].items()) out.push_back(k.find('/') == std::string::npos ? k + "/tcp" : k);
  return out;
}

// NetworkSettings.Ports of a running container: every exposed or published port, with its host
// bindings (null when only exposed).
json ports_map(engine::Daemon& d, const std::string& id, const json& config) {
  json out = json::object();
  for (auto& k : exposed_keys(config)) out[k] = nullptr;
  if (auto ports = d.networks().published_ports(id))
    for (auto& p : *ports) {
      auto key = std::to_string(p.container_port) + "/" + p.proto;
      if (!out[key].is_array()) out[key] = json::array();
      out[key].push_back({{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
    }
  return out;
}

// /containers/json's Ports: published ones with their host side, exposed ones without.
json ports_list(engine::Daemon& d, const std::string& id, const json& config) {
  json out = json::array();
  std::set<std::string> published;
  if (auto ports = d.networks().published_ports(id))
    for (auto& p : *ports) {
      out.push_back({{"IP", p.host_ip}, {"PrivatePort", p.container_port}, {"PublicPort", p.host_port}, {"Type", p.proto}});
      published.insert(std::to_string(p.container_port) + "/" + p.proto);
    }
  for (auto& k : exposed_keys(config))
    if (!published.contains(k)) {
      auto slash = k.find('/');
      out.push_back({{"PrivatePort", std::stoi(k.substr(0, slash))}, {"Type", k.substr(slash + 1)}});
    }
  return out;
}

// dockerd's NetworkSettings: one entry per network the container is on (addresses while it
// runs, empty ones otherwise); the top-level address fields are the default bridge's.
json network_settings(engine::Daemon& d, const engine::ContainerRecord& c, const std::string& mode,
                      const std::string& api_version = "") {
  const std::string& id = c.id;
  json networks = json::object();
  json top = {{"EndpointID", ""}, {"Gateway", ""}, {"IPAddress", ""}, {"IPPrefixLen", 0}, {"MacAddress", ""}};
  auto eps = d.networks().container_endpoints(id);
  auto names = [&](const std::string& net) { return endpoint_names(d.container_service(), c, net, api_version); };
  if (eps && !eps->empty()) {
    for (auto& [n, e] : *eps) {
      networks[n.name] = endpoint_settings(n.id, &e, &n, names(n.name));
      if (n.name == "bridge")
        for (auto& k : {"EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress"}) top[k] = networks[n.name][k];
    }
  } else if (!mode.starts_with("container:")) {
    auto n = d.networks().find(mode);
    std::string name = n ? n->name : mode;
    networks[name] = endpoint_settings(n ? n->id : "", nullptr, nullptr, names(name));
  }
  bool attached = eps && !eps->empty();
  json out = {{"Bridge", ""},         {"SandboxID", ""},       {"HairpinMode", false},
              {"LinkLocalIPv6Address", ""}, {"LinkLocalIPv6PrefixLen", 0}, {"Ports", json::object()},
              {"SandboxKey", attached ? d.networks().netns_path(id) : ""},
              {"SecondaryIPAddresses", nullptr}, {"SecondaryIPv6Addresses", nullptr},
              {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0}, {"IPv6Gateway", ""},
              {"Networks", networks}};
  out.update(top);
  return out;
}

// inspect's and the list's Mounts, from what create recorded.
json mounts_json(engine::Daemon& d, const std::string& id) {
  json out = json::array();
  for (auto& m : d.container_service().mounts_of(id))
    if (m.listed) out.push_back(engine::mount_point_inspect(m));
  return out;
}

json graph_driver(engine::Daemon& d, const engine::ContainerRecord& c) {
  auto& svc = d.container_service();
  json data = {{"MergedDir", svc.container_dir(c.id) + "/bundle/rootfs"}};
  if (auto upper = d.images().rootfs_upper_dir(c.id)) {
    data["UpperDir"] = *upper;
    auto slash = upper->rfind('/');
    data["WorkDir"] = upper->substr(0, slash == std::string::npos ? 0 : slash) + "/work";
  }
  if (auto lowers = d.images().rootfs_lower_dirs(c.id)) {
    std::string joined;
    for (auto& l : *lowers) joined += (joined.empty() ? "" : ":") + l;
    data["LowerDir"] = joined;
  }
  return {{"Name", "overlay2"}, {"Data", data}};
}

int64_t image_size(engine::Daemon& d, const std::string& image_id) {
  auto rec = d.images().inspect(image_id);
  return rec ? rec->size : 0;
}

}  // namespace

json container_inspect_json(engine::Daemon& d, const engine::ContainerRecord& c, bool size,
                            const std::string& api_version) {
  json config = with_defaults(config_defaults(), parse_object(c.config_json));
  json hc = with_defaults(host_config_defaults(), parse_object(c.host_config_json));
  // dockerd keeps "unset" as null: a swappiness of -1 and a pids limit of 0 or less.
  if (hc["MemorySwappiness"].is_number() && hc["MemorySwappiness"].get<int64_t>() == -1) hc["MemorySwappiness"] = nullptr;
  if (hc["PidsLimit"].is_number() && hc["PidsLimit"].get<int64_t>() <= 0) hc["PidsLimit"] = nullptr;
  auto cmd = command_of(config);
  std::string path = cmd.empty() ? "" : cmd[0];
  json args = json::array();
  for (size_t i = 1; i < cmd.size(); ++i) args.push_back(cmd[i]);
  auto& svc = d.container_service();
  bool live = engine::is_live(c.state);
  // The last exit's, as its shim recorded it (removed when the container starts again).
  auto exit_rec = live ? std::nullopt : engine::read_exit_record(svc.container_dir(c.id));
  bool oom_killed = exit_rec && exit_rec->oom_killed;
  // dockerd counts a container waiting for its restart as running.
  json state = {{"Status", c.state},
                {"Running", live || c.state == "restarting"},
                {"Paused", c.state == "paused"},
                {"Restarting", c.state == "restarting"},
                {"OOMKilled", oom_killed},
                {"Dead", c.state == "dead"},
                {"Pid", live ? c.pid : 0},
                {"ExitCode", c.exit_code},
                {"Error", c.error},
                {"StartedAt", c.started.empty() ? kZeroTime : c.started},
                {"FinishedAt", c.finished.empty() ? kZeroTime : c.finished}};
  if (auto h = d.health().health(c.id)) state["Health"] = engine::health_json(*h);
  // dockerd shows a path for json-file only.
  auto file = svc.log_file(c);
  std::string log_path = file && file->format == engine::LogFormat::JsonFile ? file->path : "";
  json out = {{"Id", c.id},
              {"Created", c.created},
              {"Path", path},
              {"Args", args},
              {"State", state},
              {"Image", c.image_id},
              {"ResolvConfPath", etc_path(svc, c.id, "resolv.conf")},
              {"HostnamePath", etc_path(svc, c.id, "hostname")},
              {"HostsPath", etc_path(svc, c.id, "hosts")},
              {"LogPath", log_path},
              {"Name", c.name},
              {"RestartCount", c.restart_count},
              {"Driver", "overlay2"},
              {"Platform", "linux"},
              {"MountLabel", ""},
              {"ProcessLabel", ""},
              {"AppArmorProfile", ""},
              {"ExecIDs", nullptr},
              {"HostConfig", hc},
              {"GraphDriver", graph_driver(d, c)},
              {"Mounts", mounts_json(d, c.id)},
              {"Config", config},
              {"NetworkSettings", network_settings(d, c, network_mode(hc), api_version)}};
  if (live) out["NetworkSettings"]["Ports"] = ports_map(d, c.id, config);
  if (size) {
    int64_t rw = svc.rw_size(c.id);
    out["SizeRw"] = rw;
    out["SizeRootFs"] = rw + image_size(d, c.image_id);
  }
  return out;
}

namespace {

// The position of a container named by the before/since filters in the oldest-first list.
Result<size_t> position_of(engine::Daemon& d, const std::vector<engine::ContainerRecord>& records,
                           const std::string& ref) {
  auto c = d.containers().find(ref);
  if (!c) return fail(c.error());
  for (size_t i = 0; i < records.size(); ++i)
    if (records[i].id == c->id) return i;
  return fail(ErrorKind::NotFound, "No such container: " + ref);
}

bool valid_status(const std::string& s) {
  static const std::set<std::string> ok = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};
  return ok.count(s) > 0;
}

}  // namespace

Result<json> container_list_json(engine::Daemon& d, const Request& req) {
  static const std::set<std::string> keys = {"id", "name", "label", "status", "exited", "ancestor", "before", "since",
                                             "health", "isolation", "network", "volume", "publish", "expose",
                                             "is-task"};
  auto f = BERTH_TRY(engine::Filters::parse(req.query_value("filters").value_or(""), keys), "");
  for (auto& s : f.get("status"))
    if (!valid_status(s)) return fail(ErrorKind::Invalid, "invalid filter 'status=" + s + "'");
  for (auto& e : f.get("exited"))
    if (e.empty() || e.find_first_not_of("-0123456789") != std::string::npos)
      return fail(ErrorKind::Invalid, "strconv.Atoi: parsing \"" + e + "\": invalid syntax");
  bool all = req.query_bool("all") || f.has("status");  // a status filter lists stopped ones too
  long limit = -1;
  if (auto l = req.query_value("limit"); l && !l->empty()) {
    char* end = nullptr;
    limit = std::strtol(l->c_str(), &end, 10);
    if (*end) return fail(ErrorKind::Invalid, "invalid limit: " + *l);
  }
  if (limit > 0) all = true;
  bool size = req.query_bool("size");
  auto records = BERTH_TRY(d.containers().list(), "list containers");
  bool namespace_asked = f.has("label") && engine::namespace_asked(f.get("label"));
  // before/since name containers; only those created before (after) them are listed.
  size_t lo = 0, hi = records.size();
  for (auto& ref : f.get("since")) lo = std::max(lo, BERTH_TRY(position_of(d, records, ref), "") + 1);
  for (auto& ref : f.get("before")) hi = std::min(hi, BERTH_TRY(position_of(d, records, ref), ""));
  json out = json::array();
  int64_t now = now_unix();
  // Newest first, as dockerd lists.
  for (size_t i = hi; i-- > lo;) {
    const auto& c = records[i];
    if (!all && !engine::is_live(c.state) && c.state != "restarting") continue;
    if (!f.match("status", c.state)) continue;
    if (f.has("exited") && !(c.state == "exited" && f.match("exited", std::to_string(c.exit_code)))) continue;
    if (f.has("id")) {
      bool ok = false;
      for (auto& v : f.get("id")) ok = ok || c.id.rfind(v, 0) == 0;
      if (!ok) continue;
    }
    if (f.has("name")) {
      bool ok = false;
      for (auto& v : f.get("name")) ok = ok || c.name.find(v) != std::string::npos;
      if (!ok) continue;
    }
    json config = parse_object(c.config_json);
    auto labels = labels_of(config);
    if (!f.match_labels("label", labels)) continue;
    // Another client's containers (the CRI's) only when a label filter names their namespace.
    if (auto ns = labels.find(engine::kNamespaceLabel); ns != labels.end() && !namespace_asked) continue;
    if (f.has("ancestor")) {
      bool ok = false;
      for (auto& v : f.get("ancestor")) {
        std::string tagged = v.find(':') == std::string::npos ? v + ":latest" : v;
        ok = ok || v == c.image || tagged == c.image || c.image_id == v || c.image_id == "sha256:" + v ||
             (v.size() >= 12 && c.image_id.find(v) != std::string::npos);
      }
      if (!ok) continue;
    }
    if (limit > 0 && static_cast<long>(out.size()) >= limit) break;
    std::string command;
    for (auto& a : command_of(config)) command += (command.empty() ? "" : " ") + a;
    json hc = parse_object(c.host_config_json);
    json row = {{"Id", c.id},
                {"Names", json::array({c.name})},
                {"Image", c.image},
                {"ImageID", c.image_id},
                {"Command", command},
                {"Created", unix_seconds(c.created)},
                {"Ports", engine::is_live(c.state) ? ports_list(d, c.id, config) : json::array()},
                {"Labels", labels},
                {"State", c.state},
                {"Status", status_with_health(d, c, now)},
                {"HostConfig", {{"NetworkMode", network_mode(hc)}}},
                {"NetworkSettings", {{"Networks", network_settings(d, c, network_mode(hc))["Networks"]}}},
                {"Mounts", mounts_json(d, c.id)}};
    if (size) {
      int64_t rw = d.container_service().rw_size(c.id);
      row["SizeRw"] = rw;
      row["SizeRootFs"] = rw + image_size(d, c.image_id);
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace berth::api
