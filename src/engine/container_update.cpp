// `docker update` of resources: the fields are checked as at create (resources_spec), written to
// the running container's cgroup through its runtime, and kept in HostConfig and the bundle's
// config.json so that the next start has them too.
#include <set>

#include "common/fs.hpp"
#include "engine/container_service.hpp"
#include "engine/resources_spec.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// The fields dockerd's update takes (container.UpdateConfig's Resources).
const std::set<std::string>& updatable() {
  static const std::set<std::string> keys = {
      "Memory", "MemoryReservation", "MemorySwap", "MemorySwappiness", "KernelMemory", "OomKillDisable",
      "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems", "PidsLimit", "BlkioWeight",
      "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
      "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
      "Devices", "DeviceCgroupRules", "DeviceRequests", "Ulimits", "CgroupParent"};
  return keys;
}

// Go's zero values: what the docker client sends for every flag it was not given.
bool unset(const json& v) {
  if (v.is_null()) return true;
  if (v.is_number()) return v.get<double>() == 0;
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return v.empty();
  if (v.is_boolean()) return !v.get<bool>();
  return false;
}

}  // namespace

Result<std::vector<std::string>> ContainerService::update_resources_locked(const ContainerRecord& c, json& hc,
                                                                           const json& body) {
  json merged = hc;
  bool changed = false;
  for (auto& [k, v] : body.items()) {
    if (k == "RestartPolicy" || unset(v)) continue;
    if (!updatable().contains(k)) return fail(ErrorKind::Invalid, "unknown field \"" + k + "\"");
    if (k == "Devices" || k == "DeviceCgroupRules" || k == "DeviceRequests" || k == "Ulimits" || k == "CgroupParent")
      return fail(ErrorKind::Invalid, k + " cannot be updated, only at create");
    merged[k] = v;
    changed = true;
  }
  if (!changed) return std::vector<std::string>{};
  // A new memory limit without a swap limit: the swap follows it, as at create.
  if (body.contains("Memory") && !unset(body["Memory"]) && (!body.contains("MemorySwap") || unset(body["MemorySwap"])))
    merged["MemorySwap"] = 0;
  auto facts = probe_host_facts();
  auto warnings = BERTH_TRY(normalize_resources(merged, facts), "");
  auto res = BERTH_TRY(cgroup_resources(merged), "");
  // "No limit" is a value to write on a live cgroup (at create it is the default).
  if (body.contains("PidsLimit") && body["PidsLimit"].is_number_integer() && body["PidsLimit"].get<int64_t>() < 0)
    res["pids"] = {{"limit", -1}};
  if (facts.swap_limit && merged.value("MemorySwap", json(0)) == json(-1) && res.contains("memory"))
    res["memory"]["swap"] = -1;
  if (is_live(c.state)) BERTH_CHECK(make_runtime_driver(runtime_in_use(c.id))->update(c.id, res, state_dir(c.id)), "");
  // The next start runs with the same limits.
  auto config_path = path_join(bundle_dir(c.id), "config.json");
  if (auto text = read_file(config_path)) {
    auto spec = json::parse(*text, nullptr, false);
    if (spec.is_object()) {
      for (auto& [k, v] : res.items()) spec["linux"]["resources"][k] = v;
      BERTH_CHECK(write_file_atomic(config_path, spec.dump(2), 0600), "write config.json");
    }
  }
  hc = merged;
  BERTH_CHECK(store_.update_host_config(c.id, hc.dump()), "");
  event(c, "update");
  return warnings;
}

}  // namespace berth::engine
