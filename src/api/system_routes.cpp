// /_ping, /version, /info, /events, /system/df, /auth.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "api/api_version.hpp"
#include "api/image_json.hpp"
#include "api/registry_auth_header.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "api/volume_json.hpp"
#include "common/fs.hpp"
#include "engine/filters.hpp"
#include "image/registry_client.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

Result<> ping(Exchange& ex) {
  // What dockerd adds to /_ping; the client picks its API version and builder from these.
  std::map<std::string, std::string> h = {{"Builder-Version", "1"},
                                          {"Cache-Control", "no-cache, no-store, must-revalidate"},
                                          {"Pragma", "no-cache"}};
  return ex.reply(200, "text/plain; charset=utf-8", ex.request().method == "HEAD" ? "" : "OK", h);
}

json version_doc(engine::Daemon& d) {
  const auto& h = d.host();
  std::string arch = go_arch(h.architecture);
  json details = {{"ApiVersion", kMaxApiVersion}, {"Arch", arch}, {"BuildTime", ""}, {"Experimental", "false"},
                  {"GitCommit", ""}, {"GoVersion", ""}, {"KernelVersion", h.kernel_version},
                  {"MinAPIVersion", kMinApiVersion}, {"Os", "linux"}};
  return {{"Platform", {{"Name", "berth"}}},
          {"Components", json::array({{{"Name", "Engine"}, {"Version", kEngineVersion}, {"Details", details}}})},
          {"Version", kEngineVersion},
          {"ApiVersion", kMaxApiVersion},
          {"MinAPIVersion", kMinApiVersion},
          {"GitCommit", ""},
          {"GoVersion", ""},
          {"Os", "linux"},
          {"Arch", arch},
          {"KernelVersion", h.kernel_version},
          {"BuildTime", ""}};
}

std::string rfc3339_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1000000000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof out, "%s.%09lldZ", buf, static_cast<long long>(ns));
  return out;
}

// Entries in a /proc/self directory (fds, tasks): what dockerd reports as NFd and NGoroutines.
int count_entries(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    ++n;
  return n;
}

// dockerd's warning for an API reachable over TCP without TLS.
json host_warnings(const engine::DaemonConfig& c) {
  json w = json::array();
  if (c.tls || c.tlsverify) return w;
  for (auto& h : c.effective_hosts())
    if (h.starts_with("tcp://"))
      w.push_back("WARNING: API is accessible on http://" + h.substr(6) + " without encryption.");
  return w;
}

Result<json> info_doc(engine::Daemon& d) {
  const auto& h = d.host();
  const auto& c = d.config();
  auto containers = BERTH_TRY(d.containers().list(), "info");
  int running = 0, paused = 0, stopped = 0;
  for (auto& ct : containers) {
    if (ct.state == "running" || ct.state == "restarting") ++running;
    else if (ct.state == "paused") ++paused;
    else ++stopped;
  }
  auto images = BERTH_TRY(d.images().list(), "info");
  json runtimes = {{"berth", {{"path", "berth-runtime"}}}};
  for (auto& [name, r] : c.runtimes) {
    runtimes[name] = {{"path", r.path}};
    if (!r.args.empty()) runtimes[name]["runtimeArgs"] = r.args;
  }
  json insecure = json::array({"127.0.0.0/8"});
  for (auto& r : c.insecure_registries) insecure.push_back(r);
  return json{
      {"ID", d.id()},
      {"Containers", containers.size()},
      {"ContainersRunning", running},
      {"ContainersPaused", paused},
      {"ContainersStopped", stopped},
      {"Images", images.size()},
      {"Driver", "overlay2"},
      {"DriverStatus", json::array({json::array({"Backing Filesystem", "extfs"}),
                                    json::array({"Supports d_type", "true"}),
                                    json::array({"Using metacopy", "false"}),
                                    json::array({"Native Overlay Diff", "true"}),
                                    json::array({"userxattr", "false"})})},
      {"Plugins", {{"Volume", {"local"}}, {"Network", {"bridge", "host", "none"}}, {"Authorization", nullptr},
                   {"Log", {"json-file", "local", "none"}}}},
      {"MemoryLimit", true},
      {"SwapLimit", true},
      {"CpuCfsPeriod", true},
      {"CpuCfsQuota", true},
      {"CPUShares", true},
      {"CPUSet", true},
      {"PidsLimit", true},
      {"IPv4Forwarding", true},
      {"Debug", c.debug},
      {"NFd", count_entries("/proc/self/fd")},
      {"OomKillDisable", false},
      {"NGoroutines", count_entries("/proc/self/task")},
      {"SystemTime", rfc3339_now()},
      {"LoggingDriver", c.log_driver},
      {"CgroupDriver", h.cgroup_driver},
      {"CgroupVersion", h.cgroup_version},
      {"NEventsListener", d.events().subscribers()},
      {"KernelVersion", h.kernel_version},
      {"OperatingSystem", h.operating_system},
      {"OSVersion", h.os_version},
      {"OSType", "linux"},
      {"Architecture", h.architecture},
      {"IndexServerAddress", "https://index.docker.io/v1/"},
      {"RegistryConfig", {{"InsecureRegistryCIDRs", insecure}, {"IndexConfigs", json::object()},
                          {"Mirrors", c.registry_mirrors}}},
      {"NCPU", h.ncpu},
      {"MemTotal", h.mem_total},
      {"GenericResources", nullptr},
      {"DockerRootDir", c.data_root},
      {"HttpProxy", ""},
      {"HttpsProxy", ""},
      {"NoProxy", ""},
      {"Name", h.hostname},
      {"Labels", json::array()},
      {"ExperimentalBuild", false},
      {"ServerVersion", kEngineVersion},
      {"Runtimes", runtimes},
      {"DefaultRuntime", c.default_runtime},
      {"Swarm", {{"NodeID", ""}, {"NodeAddr", ""}, {"LocalNodeState", "inactive"}, {"ControlAvailable", false},
                 {"Error", ""}, {"RemoteManagers", nullptr}}},
      {"LiveRestoreEnabled", true},
      {"Isolation", ""},
      {"InitBinary", "tini"},
      {"ContainerdCommit", {{"ID", ""}}},
      {"RuncCommit", {{"ID", ""}}},
      {"InitCommit", {{"ID", ""}}},
      {"SecurityOptions", c.remap ? json{"name=seccomp,profile=builtin", "name=userns", "name=cgroupns"}
                                  : json{"name=seccomp,profile=builtin", "name=cgroupns"}},
      {"Warnings", host_warnings(c)}};
}

json event_doc(const engine::Event& e) {
  json doc = {{"Type", e.type},
              {"Action", e.action},
              {"Actor", {{"ID", e.actor_id}, {"Attributes", e.attributes}}},
              {"scope", e.scope},
              {"time", e.time_nano / 1000000000},
              {"timeNano", e.time_nano}};
  // The pre-1.22 fields that dockerd still sends for containers and images.
  if (e.type == "container" || e.type == "image") {
    doc["status"] = e.action;
    doc["id"] = e.actor_id;
    if (auto it = e.attributes.find("image"); it != e.attributes.end()) doc["from"] = it->second;
  }
  return doc;
}

Result<> events(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto filters = BERTH_TRY(engine::Filters::parse(req.query_value("filters").value_or(""), engine::event_filter_keys()), "");
  std::optional<int64_t> since, until;
  if (auto s = req.query_value("since"); s && !s->empty()) since = BERTH_TRY(engine::parse_event_time(*s), "");
  if (auto u = req.query_value("until"); u && !u->empty()) until = BERTH_TRY(engine::parse_event_time(*u), "");
  if (since && until && *since > *until)
    return fail(ErrorKind::Invalid, "`since` time (" + *req.query_value("since") + ") cannot be after `until` time (" +
                                        *req.query_value("until") + ")");
  std::vector<engine::Event> past;
  auto sub = d.events().subscribe(since, past);
  BERTH_CHECK(ex.start_stream(200, "application/json"), "");
  auto emit = [&](const std::vector<engine::Event>& evs) -> Result<bool> {
    for (auto& e : evs) {
      if (until && e.time_nano > *until) return false;
      if (since && e.time_nano < *since) continue;
      if (!engine::event_matches(filters, e)) continue;
      BERTH_CHECK(ex.write(event_doc(e).dump() + "\n"), "");
    }
    return true;
  };
  if (!BERTH_TRY(emit(past), "")) return ex.finish_stream();
  while (true) {
    int timeout = -1;
    if (until) {
      int64_t left = (*until - engine::now_nano()) / 1000000;
      if (left <= 0) break;
      timeout = static_cast<int>(std::min<int64_t>(left + 1, 1 << 30));
    }
    auto w = ex.wait(sub->fd(), timeout);
    if (w == WaitResult::ClientGone) return {};
    if (w == WaitResult::Timeout) continue;  // the loop re-checks until
    if (!BERTH_TRY(emit(sub->take()), "")) break;
  }
  return ex.finish_stream();
}

Result<> system_df(Exchange& ex, engine::Daemon& d) {
  auto images = BERTH_TRY(d.images().list(), "system df");
  auto containers = BERTH_TRY(d.containers().list(), "system df");
  std::map<std::string, int64_t> layer_sizes;  // shared layers counted once
  for (auto& rec : images)
    for (auto& l : rec.layers) layer_sizes[l.chain_id.str()] = l.size;
  auto users_of = layer_users(images);
  // The build's untagged step images are its cache: the BuildCache list, each with the size of
  // the layer its step made.
  std::set<std::string> steps;
  if (auto c = d.build_cache().images()) steps.insert(c->begin(), c->end());
  json imgs = json::array(), cache = json::array();
  for (auto& rec : images) {
    if (rec.repo_tags.empty() && steps.contains(rec.id.str())) {
      auto cfg = json::parse(d.images().config_json(rec.id).value_or("{}"), nullptr, false);
      json last = cfg.is_object() && cfg.contains("history") && cfg["history"].is_array() && !cfg["history"].empty()
                      ? cfg["history"].back()
                      : json::object();
      bool layer = !last.value("empty_layer", false) && !rec.layers.empty();
      cache.push_back({{"ID", rec.id.hex()},
                       {"Parent", ""},
                       {"Type", "regular"},
                       {"Description", last.value("created_by", "")},
                       {"InUse", false},
                       {"Shared", false},
                       {"Size", layer ? rec.layers.back().size : 0},
                       {"CreatedAt", rec.created},
                       {"LastUsedAt", nullptr},
                       {"UsageCount", 0}});
      continue;
    }
    auto s = image_summary(rec, image_config(d.images(), rec), ex.request().api_version);
    s["SharedSize"] = shared_size(rec, users_of);
    int users = 0;
    for (auto& c : containers) users += c.image_id == rec.id.str();
    s["Containers"] = users;
    imgs.push_back(s);
  }
  int64_t total = 0;
  for (auto& [_, s] : layer_sizes) total += s;
  json vols = json::array();
  for (auto& v : BERTH_TRY(d.volumes().list(), "system df")) vols.push_back(volume_json(v, d.volumes(), true));
  return reply_json(ex, 200, {{"LayersSize", total}, {"Images", imgs}, {"Containers", json::array()},
                              {"Volumes", vols}, {"BuildCache", cache}});
}

Result<> auth(Exchange& ex, engine::Daemon& d) {
  auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
  auto creds = BERTH_TRY(parse_auth_config(body), "");
  std::string domain = creds.server.empty() ? "docker.io" : creds.server;
  image::RegistryOptions opts;
  opts.insecure = d.config().insecure_registries;
  opts.credentials = creds.credentials;
  image::RegistryClient client(domain, opts);
  if (auto r = client.ping(); !r) {
    if (r.error().kind == ErrorKind::Permission || r.error().kind == ErrorKind::NotFound)
      return reply_error(ex, 401, r.error().what());
    return fail(r.error());
  }
  return reply_json(ex, 200, {{"Status", "Login Succeeded"}, {"IdentityToken", ""}});
}

}  // namespace

void add_system_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/_ping", ping);
  r.add("HEAD", "/_ping", ping);
  r.add("GET", "/version", [&d](Exchange& ex) { return reply_json(ex, 200, version_doc(d)); });
  r.add("GET", "/info", [&d](Exchange& ex) -> Result<> { return reply_json(ex, 200, BERTH_TRY(info_doc(d), "")); });
  r.add("GET", "/events", [&d](Exchange& ex) { return events(ex, d); });
  r.add("GET", "/system/df", [&d](Exchange& ex) { return system_df(ex, d); });
  r.add("POST", "/auth", [&d](Exchange& ex) { return auth(ex, d); });
}

}  // namespace berth::api
