#include "engine/host_config_spec.hpp"

#include "engine/user_lookup.hpp"

namespace berth::engine {

using nlohmann::json;

Result<std::vector<std::string>> normalize_host_config(json& hc, const json& config, const HostConfigContext& ctx) {
  BERTH_CHECK(validate_namespace_modes(hc, config), "");
  BERTH_CHECK(parse_security_opts(hc.value("SecurityOpt", json())), "");
  // Recorded as dockerd shows them in inspect.
  for (const char* k : {"IpcMode", "CgroupnsMode"})
    if (!hc.contains(k) || !hc[k].is_string() || hc[k].get<std::string>().empty()) hc[k] = "private";
  if (hc.contains("Privileged") && hc["Privileged"].is_boolean() && hc["Privileged"].get<bool>()) {
    hc["MaskedPaths"] = nullptr;  // none are masked
    hc["ReadonlyPaths"] = nullptr;
  } else {
    // The API may set its own lists; the docker client sends null for Docker's.
    if (!hc.contains("MaskedPaths") || !hc["MaskedPaths"].is_array()) hc["MaskedPaths"] = docker_masked_paths();
    if (!hc.contains("ReadonlyPaths") || !hc["ReadonlyPaths"].is_array()) hc["ReadonlyPaths"] = docker_readonly_paths();
  }
  return normalize_resources(hc, ctx.facts);
}

Result<> apply_host_config(json& spec, const json& hc, const std::string& id, const HostConfigContext& ctx) {
  BERTH_CHECK(apply_security(spec, hc, ctx.security), "");
  BERTH_CHECK(apply_namespace_modes(spec, hc, ctx.donors, ctx.shm_dir), "");
  bool host_net = hc.value("NetworkMode", json("")).is_string() && hc.value("NetworkMode", std::string()) == "host";
  BERTH_CHECK(apply_sysctls(spec, hc, host_net), "");
  BERTH_CHECK(apply_resources(spec, hc, id, ctx.default_ulimits), "");
  if (ctx.resolve_groups && hc.contains("GroupAdd") && hc["GroupAdd"].is_array()) {
    auto& user = spec["process"]["user"];
    json gids = user.value("additionalGids", json::array());
    for (auto& g : hc["GroupAdd"]) {
      if (!g.is_string()) return fail(ErrorKind::Invalid, "HostConfig.GroupAdd: expected an array of strings");
      auto gid = BERTH_TRY(resolve_group(g.get<std::string>(), ctx.group_file), "");
      if (std::find(gids.begin(), gids.end(), json(gid)) == gids.end()) gids.push_back(gid);
    }
    if (!gids.empty()) user["additionalGids"] = gids;
  }
  return {};
}

}  // namespace berth::engine
