// Volumes: list, inspect, create, remove, prune, with dockerd's JSON shapes and messages.
#include <nlohmann/json.hpp>
#include <set>

#include "api/api_version.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "api/volume_json.hpp"
#include "engine/filters.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

bool anonymous(const engine::VolumeRecord& v) { return v.labels.count(engine::kAnonymousVolumeLabel) > 0; }

Result<> list_volumes(Exchange& ex, engine::Daemon& d) {
  static const std::set<std::string> keys = {"dangling", "driver", "label", "name"};
  auto f = BERTH_TRY(engine::Filters::parse(ex.request().query_value("filters").value_or(""), keys), "");
  auto dangling = BERTH_TRY(f.get_bool("dangling"), "");
  json vols = json::array();
  for (auto& v : BERTH_TRY(d.volumes().list(), "")) {
    if (f.has("name")) {
      bool any = false;
      for (auto& want : f.get("name")) any = any || v.name.find(want) != std::string::npos;
      if (!any) continue;
    }
    if (!f.match("driver", v.driver) || !f.match_labels("label", v.labels)) continue;
    if (dangling && *dangling != BERTH_TRY(d.volumes().users(v.name), "").empty()) continue;
    vols.push_back(volume_json(v, d.volumes()));
  }
  return reply_json(ex, 200, json{{"Volumes", vols}, {"Warnings", nullptr}});
}

Result<engine::VolumeCreate> volume_create_request(const json& body) {
  if (!body.is_object()) return fail(ErrorKind::Invalid, "volume create: expected a JSON object");
  engine::VolumeCreate c;
  auto str = [&](const char* key) -> Result<std::string> {
    if (!body.contains(key) || body[key].is_null()) return std::string();
    if (!body[key].is_string()) return fail(ErrorKind::Invalid, std::string(key) + ": expected a string");
    return body[key].get<std::string>();
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
  c.name = BERTH_TRY(str("Name"), "");
  c.driver = BERTH_TRY(str("Driver"), "");
  c.labels = BERTH_TRY(string_map("Labels"), "");
  c.options = BERTH_TRY(string_map("DriverOpts"), "");
  return c;
}

Result<> prune_volumes(Exchange& ex, engine::Daemon& d) {
  static const std::set<std::string> keys = {"label", "label!", "all"};
  auto f = BERTH_TRY(engine::Filters::parse(ex.request().query_value("filters").value_or(""), keys), "");
  auto all = BERTH_TRY(f.get_bool("all"), "");
  // API 1.42 made prune leave named volumes alone unless all=true.
  bool only_anonymous = compare_versions(ex.request().api_version, "1.42") >= 0 && !all.value_or(false);
  json deleted = json::array();
  int64_t reclaimed = 0;
  for (auto& v : BERTH_TRY(d.volumes().list(), "")) {
    if (only_anonymous && !anonymous(v)) continue;
    if (!f.match_labels("label", v.labels)) continue;
    if (f.has("label!") && f.match_labels("label!", v.labels)) continue;
    if (!BERTH_TRY(d.volumes().users(v.name), "").empty()) continue;
    int64_t size = d.volumes().size(v.name);
    if (d.volumes().remove(v.name)) {
      d.volume_event("destroy", v);
      deleted.push_back(v.name);
      reclaimed += size;
    }
  }
  return reply_json(ex, 200, json{{"VolumesDeleted", deleted.empty() ? json(nullptr) : deleted},
                                  {"SpaceReclaimed", reclaimed}});
}

}  // namespace

void add_volume_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/volumes", [&d](Exchange& ex) { return list_volumes(ex, d); });
  r.add("GET", "/volumes/{name}", [&d](Exchange& ex) -> Result<> {
    auto v = BERTH_TRY(d.volumes().get(ex.request().param("name")), "");
    return reply_json(ex, 200, volume_json(v, d.volumes()));
  });
  r.add("POST", "/volumes/create", [&d](Exchange& ex) -> Result<> {
    auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
    auto req = BERTH_TRY(volume_create_request(body), "");
    bool created = false;
    auto v = BERTH_TRY(d.volumes().create(req, &created), "");
    if (created) d.volume_event("create", v);
    return reply_json(ex, 201, volume_json(v, d.volumes()));
  });
  r.add("DELETE", "/volumes/{name}", [&d](Exchange& ex) -> Result<> {
    const std::string name = ex.request().param("name");
    auto v = d.volumes().get(name);
    if (!v) {
      // dockerd: force makes a missing volume a success.
      if (ex.request().query_bool("force") && v.error().kind == ErrorKind::NotFound) return ex.reply(204, "", "");
      return fail(v.error());
    }
    BERTH_CHECK(d.volumes().remove(name), "");
    d.volume_event("destroy", *v);
    return ex.reply(204, "", "");
  });
  r.add("POST", "/volumes/prune", [&d](Exchange& ex) { return prune_volumes(ex, d); });
}

}  // namespace berth::api
