#include "engine/userns_spec.hpp"

#include "common/json_util.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

json mappings(const std::vector<IdRange>& ranges) {
  json out = json::array();
  for (auto& r : ranges) out.push_back({{"containerID", r.container}, {"hostID", r.host}, {"size", r.size}});
  return out;
}

}  // namespace

std::optional<UsernsRemap> remap_for(const std::optional<UsernsRemap>& daemon, const json& hc) {
  if (!daemon || json_string(hc, "UsernsMode") == "host") return std::nullopt;
  return daemon;
}

Result<> check_remapped_host_config(const json& hc) {
  if (hc.value("Privileged", json(false)) == json(true))
    return fail(ErrorKind::Invalid,
                "privileged mode is incompatible with user namespaces.  You must run the container in the host "
                "namespace when running privileged mode");
  if (json_string(hc, "NetworkMode") == "host")
    return fail(ErrorKind::Invalid, "cannot share the host's network namespace when user namespaces are enabled");
  if (json_string(hc, "PidMode") == "host")
    return fail(ErrorKind::Invalid, "cannot share the host PID namespace when user namespaces are enabled");
  return {};
}

void add_user_namespace(json& spec, const UsernsRemap& r) {
  json& linux = spec["linux"];
  json& ns = linux["namespaces"];
  if (!ns.is_array()) ns = json::array();
  bool have = false;
  for (auto& n : ns) have = have || n.value("type", "") == "user";
  if (!have) ns.push_back({{"type", "user"}});
  linux["uidMappings"] = mappings(r.uids);
  linux["gidMappings"] = mappings(r.gids);
}

std::vector<image::IdRangeMap> spec_id_map(const json& spec, const std::string& kind) {
  std::vector<image::IdRangeMap> out;
  auto linux = spec.find("linux");
  if (linux == spec.end() || !linux->is_object()) return out;
  auto m = linux->find(kind + "Mappings");
  if (m == linux->end() || !m->is_array()) return out;
  for (auto& e : *m)
    if (e.is_object()) out.push_back({e.value("containerID", 0u), e.value("hostID", 0u), e.value("size", 0u)});
  return out;
}

std::optional<std::pair<uint32_t, uint32_t>> remapped_root(const json& spec) {
  auto linux = spec.find("linux");
  if (linux == spec.end() || !linux->is_object()) return std::nullopt;
  auto first = [&](const char* key) -> std::optional<uint32_t> {
    auto m = linux->find(key);
    if (m == linux->end() || !m->is_array()) return std::nullopt;
    for (auto& e : *m)
      if (e.value("containerID", 1u) == 0) return e.value("hostID", 0u);
    return std::nullopt;
  };
  auto u = first("uidMappings"), g = first("gidMappings");
  if (!u || !g) return std::nullopt;
  return std::pair{*u, *g};
}

}  // namespace berth::engine
