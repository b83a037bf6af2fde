#include "api/image_json.hpp"

#include <ctime>

#include "api/api_version.hpp"
#include "common/json_util.hpp"

namespace berth::api {

using nlohmann::json;

int64_t unix_seconds(const std::string& t) {
  std::tm tm{};
  const char* p = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return 0;
  int64_t s = timegm(&tm);
  while (*p && *p != 'Z' && *p != '+' && *p != '-') ++p;  // fraction
  int h = 0, m = 0;
  if ((*p == '+' || *p == '-') && std::sscanf(p + 1, "%2d:%2d", &h, &m) == 2) s -= (*p == '+' ? 1 : -1) * (h * 3600 + m * 60);
  return s;
}

std::string go_arch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

json image_config(image::ImageService& svc, const image::ImageRecord& rec) {
  auto text = svc.config_json(rec.id);
  if (!text) return json::object();
  auto j = parse_json(*text, "image config");
  return j && j->is_object() ? *j : json::object();
}

json image_labels(const json& config) {
  auto c = config.find("config");
  if (c != config.end() && c->is_object()) {
    auto l = c->find("Labels");
    if (l != c->end() && l->is_object()) return *l;
  }
  return json::object();
}

json image_summary(const image::ImageRecord& rec, const json& config, const std::string& api_version) {
  json s = {{"Id", rec.id.str()},
            {"ParentId", rec.parent ? rec.parent->str() : ""},
            {"RepoTags", rec.repo_tags},
            {"RepoDigests", rec.repo_digests},
            {"Created", unix_seconds(rec.created)},
            {"Size", rec.size},
            {"SharedSize", -1},
            {"Labels", image_labels(config)},
            {"Containers", -1}};
  if (compare_versions(api_version, "1.44") < 0) s["VirtualSize"] = rec.size;
  return s;
}

json image_inspect(image::ImageService& svc, const image::ImageRecord& rec, const json& config,
                   const std::string& api_version) {
  json layers = json::array();
  for (auto& l : rec.layers) layers.push_back(l.diff_id.str());
  json graph = {{"Name", "overlay2"}, {"Data", json::object()}};
  auto get = [&](const char* k) { return config.contains(k) && config[k].is_string() ? config[k].get<std::string>() : ""; };
  json doc = {{"Id", rec.id.str()},
              {"RepoTags", rec.repo_tags},
              {"RepoDigests", rec.repo_digests},
              {"Parent", rec.parent ? rec.parent->str() : ""},
              {"Comment", ""},
              {"Created", rec.created.empty() ? get("created") : rec.created},
              {"DockerVersion", get("docker_version")},
              {"Author", get("author")},
              {"Config", config.contains("config") && config["config"].is_object() ? config["config"] : json::object()},
              {"Architecture", rec.architecture.empty() ? get("architecture") : rec.architecture},
              {"Os", rec.os.empty() ? get("os") : rec.os},
              {"Size", rec.size},
              {"GraphDriver", graph},
              {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
              {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
  if (!get("variant").empty()) doc["Variant"] = get("variant");
  if (compare_versions(api_version, "1.44") < 0) doc["VirtualSize"] = rec.size;
  if (compare_versions(api_version, "1.45") < 0) {
    doc["Container"] = "";
    doc["ContainerConfig"] = json::object();
  }
  return doc;
}

std::map<std::string, int> layer_users(const std::vector<image::ImageRecord>& images) {
  std::map<std::string, int> users;
  for (auto& rec : images)
    for (auto& l : rec.layers) ++users[l.chain_id.str()];
  return users;
}

int64_t shared_size(const image::ImageRecord& rec, const std::map<std::string, int>& users) {
  int64_t shared = 0;
  for (auto& l : rec.layers)
    if (auto it = users.find(l.chain_id.str()); it != users.end() && it->second > 1) shared += l.size;
  return shared;
}

Result<json> image_history(image::ImageService& svc, std::string_view name) {
  auto rec = BERTH_TRY(svc.inspect(name), "");
  auto entries = BERTH_TRY(svc.history(name), "");
  json out = json::array();
  size_t layer = 0;
  // History lists oldest first and names one layer per non-empty entry; the API lists newest
  // first, and only the top entry carries the image's ID (older ones are "<missing>").
  std::vector<json> rows;
  for (auto& h : entries) {
    int64_t size = 0;
    if (!h.empty_layer && layer < rec.layers.size()) size = rec.layers[layer++].size;
    rows.push_back({{"Id", "<missing>"},
                    {"Created", unix_seconds(h.created)},
                    {"CreatedBy", h.created_by},
                    {"Tags", nullptr},
                    {"Size", size},
                    {"Comment", h.comment}});
  }
  if (rows.empty())  // an image without history still has one entry for its layers
    rows.push_back({{"Id", "<missing>"}, {"Created", unix_seconds(rec.created)}, {"CreatedBy", ""},
                    {"Tags", nullptr}, {"Size", rec.size}, {"Comment", ""}});
  rows.back()["Id"] = rec.id.str();
  rows.back()["Tags"] = rec.repo_tags;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(*it);
  return out;
}

}  // namespace berth::api
