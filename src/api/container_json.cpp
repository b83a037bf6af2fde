#include "api/container_json.hpp"

#include <chrono>
#include <set>

#include "api/image_json.hpp"
#include "engine/filters.hpp"

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
  int64_t h = m / 60;
  if (h == 1) return "About an hour";
  if (h < 48) return std::to_string(h) + " hours";
  if (h < 24 * 7 * 2) return plural(h / 24, "day");
  if (h < 24 * 30 * 2) return plural(h / 24 / 7, "week");
  if (h < 24 * 365 * 2) return plural(h / 24 / 30, "month");
  return plural(h / 24 / 365, "year");
}

std::string container_status_text(const engine::ContainerRecord& c, int64_t now) {
  if (c.state == "running") return "Up " + human_duration(now - unix_seconds(c.started));
  if (c.state == "exited") {
    if (c.finished.empty()) return "Exited (" + std::to_string(c.exit_code) + ")";
    return "Exited (" + std::to_string(c.exit_code) + ") " + human_duration(now - unix_seconds(c.finished)) + " ago";
  }
  if (c.state == "created") return "Created";
  if (c.state == "paused") return "Up " + human_duration(now - unix_seconds(c.started)) + " (Paused)";
  if (c.state == "dead") return "Dead";
  if (c.state == "removing") return "Removal In Progress";
  return c.state;
}

json container_inspect_json(engine::Daemon& d, const engine::ContainerRecord& c) {
  json config = parse_object(c.config_json);
  json hc = parse_object(c.host_config_json);
  if (!hc.contains("NetworkMode")) hc["NetworkMode"] = "none";
  auto cmd = command_of(config);
  std::string path = cmd.empty() ? "" : cmd[0];
  json args = json::array();
  for (size_t i = 1; i < cmd.size(); ++i) args.push_back(cmd[i]);
  auto& svc = d.container_service();
  bool running = c.state == "running";
  json state = {{"Status", c.state},
                {"Running", running},
                {"Paused", c.state == "paused"},
                {"Restarting", c.state == "restarting"},
                {"OOMKilled", false},
                {"Dead", c.state == "dead"},
                {"Pid", running ? c.pid : 0},
                {"ExitCode", c.exit_code},
                {"Error", c.error},
                {"StartedAt", c.started.empty() ? kZeroTime : c.started},
                {"FinishedAt", c.finished.empty() ? kZeroTime : c.finished}};
  std::string dir = svc.container_dir(c.id);
  // dockerd shows a path for json-file only.
  auto file = svc.log_file(c);
  std::string log_path = file && file->format == engine::LogFormat::JsonFile ? file->path : "";
  return {{"Id", c.id},
          {"Created", c.created},
          {"Path", path},
          {"Args", args},
          {"State", state},
          {"Image", c.image_id},
          {"ResolvConfPath", ""},
          {"HostnamePath", ""},
          {"HostsPath", ""},
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
          {"GraphDriver", {{"Name", "overlay2"}, {"Data", {{"MergedDir", dir + "/bundle/rootfs"}}}}},
          {"Mounts", json::array()},
          {"Config", config},
          {"NetworkSettings", {{"Networks", json::object()}, {"Ports", json::object()}}}};
}

Result<json> container_list_json(engine::Daemon& d, const Request& req) {
  static const std::set<std::string> keys = {"id", "name", "label", "status", "exited", "ancestor", "before", "since"};
  auto f = BERTH_TRY(engine::Filters::parse(req.query_value("filters").value_or(""), keys), "");
  bool all = req.query_bool("all");
  long limit = -1;
  if (auto l = req.query_value("limit"); l && !l->empty()) limit = std::atol(l->c_str());
  if (limit > 0) all = true;
  auto records = BERTH_TRY(d.containers().list(), "list containers");
  json out = json::array();
  int64_t now = now_unix();
  // Newest first, as dockerd lists.
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const auto& c = *it;
    if (!all && c.state != "running" && !f.has("status")) continue;
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
    if (f.has("ancestor")) {
      bool ok = false;
      for (auto& v : f.get("ancestor")) ok = ok || v == c.image || c.image_id.find(v) != std::string::npos;
      if (!ok) continue;
    }
    if (limit > 0 && static_cast<long>(out.size()) >= limit) break;
    std::string command;
    for (auto& a : command_of(config)) command += (command.empty() ? "" : " ") + a;
    json hc = parse_object(c.host_config_json);
    out.push_back({{"Id", c.id},
                   {"Names", json::array({c.name})},
                   {"Image", c.image},
                   {"ImageID", c.image_id},
                   {"Command", command},
                   {"Created", unix_seconds(c.created)},
                   {"Ports", json::array()},
                   {"Labels", labels},
                   {"State", c.state},
                   {"Status", container_status_text(c, now)},
                   {"HostConfig", {{"NetworkMode", hc.value("NetworkMode", "none")}}},
                   {"NetworkSettings", {{"Networks", json::object()}}},
                   {"Mounts", json::array()}});
  }
  return out;
}

}  // namespace berth::api
