#include "engine/resources_spec.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "engine/capabilities.hpp"
#include "engine/host_devices.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

std::string first_line(const std::string& path, const std::string& fallback) {
  std::ifstream f(path);
  std::string s;
  return std::getline(f, s) && !s.empty() ? s : fallback;
}

Result<int64_t> int_field(const json& hc, const char* key) {
  if (!hc.contains(key) || hc[key].is_null()) return 0;
  if (!hc[key].is_number_integer())
    return fail(ErrorKind::Invalid, std::string("json: cannot unmarshal ") + hc[key].type_name() +
                                        " into Go struct field HostConfig." + key + " of type int64");
  return hc[key].get<int64_t>();
}

bool present(const json& hc, const char* key) { return hc.contains(key) && !hc[key].is_null(); }

Result<> check_cpuset(const std::string& want, const std::string& online, const char* what, const char* unavailable) {
  if (want.empty()) return {};
  auto req = parse_cpu_list(want);
  if (!req) return fail(ErrorKind::Invalid, "Invalid value " + want + " for " + what);
  auto have = parse_cpu_list(online).value_or(std::vector<int>{});
  for (int c : *req)
    if (std::find(have.begin(), have.end(), c) == have.end())
      return fail(ErrorKind::Invalid, std::string(unavailable) + " - requested " + want + ", available: " + online);
  return {};
}

// [{Path, Rate}] -> [{major, minor, rate}] (key: the OCI field of each entry's value).
Result<json> throttle_devices(const json& hc, const char* key, const char* value_key, const char* oci_value) {
  json out = json::array();
  if (!present(hc, key)) return out;
  if (!hc[key].is_array()) return fail(ErrorKind::Invalid, std::string("HostConfig.") + key + ": expected an array");
  for (auto& e : hc[key]) {
    if (!e.is_object() || !e.value("Path", json()).is_string())
      return fail(ErrorKind::Invalid, std::string("HostConfig.") + key + ": each entry needs a Path");
    auto path = e["Path"].get<std::string>();
    auto nums = block_device_numbers(path);
    if (!nums) return fail(ErrorKind::Invalid, std::string("HostConfig.") + key + ": " + nums.error().what());
    auto v = BERTH_TRY(int_field(e, value_key), std::string("HostConfig.") + key);
    if (v < 0) return fail(ErrorKind::Invalid, std::string("HostConfig.") + key + ": negative " + value_key);
    out.push_back({{"major", nums->first}, {"minor", nums->second}, {oci_value, v}});
  }
  return out;
}

// "c 1:3 rwm", "a *:* m" -> an OCI device rule; dockerd's message when malformed.
Result<json> device_cgroup_rule(const std::string& rule) {
  auto bad = [&] { return fail(ErrorKind::Invalid, "invalid device cgroup format '" + rule + "'"); };
  char type = 0;
  char nums[64] = {}, access[8] = {};
  if (std::sscanf(rule.c_str(), " %c %63s %7s", &type, nums, access) != 3) return bad();
  if (type != 'a' && type != 'b' && type != 'c') return bad();
  std::string n = nums, acc = access;
  auto colon = n.find(':');
  if (colon == std::string::npos) return bad();
  json r = {{"allow", true}, {"type", std::string(1, type)}, {"access", acc}};
  for (auto [part, field] : {std::pair{n.substr(0, colon), "major"}, std::pair{n.substr(colon + 1), "minor"}}) {
    if (part == "*") continue;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size()) return bad();
    r[field] = v;
  }
  if (acc.empty() || acc.find_first_not_of("rwm") != std::string::npos) return bad();
  return r;
}

}  // namespace

std::optional<std::vector<int>> parse_cpu_list(const std::string& s) {
  std::vector<int> out;
  size_t i = 0;
  while (i < s.size()) {
    auto end = s.find(',', i);
    auto part = s.substr(i, end == std::string::npos ? std::string::npos : end - i);
    i = end == std::string::npos ? s.size() : end + 1;
    auto dash = part.find('-');
    int a = 0, b = 0;
    auto num = [](const std::string& t, int& v) {
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      return !t.empty() && ec == std::errc() && p == t.data() + t.size() && v >= 0;
    };
    if (dash == std::string::npos) {
      if (!num(part, a)) return std::nullopt;
      b = a;
    } else if (!num(part.substr(0, dash), a) || !num(part.substr(dash + 1), b) || b < a) {
      return std::nullopt;
    }
    for (int c = a; c <= b; ++c) out.push_back(c);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

HostFacts probe_host_facts() {
  HostFacts f;
  f.ncpu = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  f.cpus_online = first_line("/sys/devices/system/cpu/online", "0");
  f.mems_online = first_line("/sys/devices/system/node/online", "0");
  f.swap_limit = path_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") ||
                 path_exists("/sys/fs/cgroup/memory.swap.max");
  f.own_oom_score_adj = std::stoi(first_line("/proc/self/oom_score_adj", "0"));
  auto caps = host_bounding_caps();
  f.can_lower_oom_score = std::find(caps.begin(), caps.end(), "CAP_SYS_RESOURCE") != caps.end();
  return f;
}

Result<std::vector<std::string>> normalize_resources(json& hc, const HostFacts& f) {
  std::vector<std::string> warnings;
  auto memory = BERTH_TRY(int_field(hc, "Memory"), "");
  auto swap = BERTH_TRY(int_field(hc, "MemorySwap"), "");
  auto reservation = BERTH_TRY(int_field(hc, "MemoryReservation"), "");
  if (memory != 0 && memory < kMinMemory) return fail(ErrorKind::Invalid, "Minimum memory limit allowed is 6MB");
  if (memory > 0 && swap == 0) swap = memory * 2;  // dockerd's default: as much swap as memory
  if (swap > 0 && memory == 0)
    return fail(ErrorKind::Invalid, "You should always set the Memory limit when using Memoryswap limit, see usage.");
  if (memory > 0 && swap > 0 && swap < memory)
    return fail(ErrorKind::Invalid, "Minimum memoryswap limit should be larger than memory limit, see usage.");
  if (memory > 0 && !f.swap_limit) {
    warnings.push_back("Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.");
    swap = -1;
  }
  if (memory > 0 || present(hc, "MemorySwap")) hc["MemorySwap"] = swap;
  if (present(hc, "MemorySwappiness")) {
    auto sw = BERTH_TRY(int_field(hc, "MemorySwappiness"), "");
    if (sw != -1 && (sw < 0 || sw > 100))
      return fail(ErrorKind::Invalid, "Invalid value: " + std::to_string(sw) + ", valid memory swappiness range is 0-100");
  }
  if (reservation != 0 && reservation < kMinMemory)
    return fail(ErrorKind::Invalid, "Minimum memory reservation allowed is 6MB");
  if (memory > 0 && reservation > 0 && memory < reservation)
    return fail(ErrorKind::Invalid, "Minimum memory limit can not be less than memory reservation limit, see usage.");
  if (BERTH_TRY(int_field(hc, "KernelMemory"), "") != 0) {
    warnings.push_back("Specifying a kernel memory limit is deprecated and will be removed in a future release.");
    hc["KernelMemory"] = 0;  // never applied: kmem limits are deprecated in the kernel
  }
  if (json_flag(hc, "OomKillDisable") && memory == 0)
    warnings.push_back("OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.");

  auto nano = BERTH_TRY(int_field(hc, "NanoCpus"), "");
  auto period = BERTH_TRY(int_field(hc, "CpuPeriod"), "");
  auto quota = BERTH_TRY(int_field(hc, "CpuQuota"), "");
  if (nano != 0 && period != 0) return fail(ErrorKind::Invalid, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano != 0 && quota != 0) return fail(ErrorKind::Invalid, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  if (nano < 0 || nano > int64_t{f.ncpu} * 1000000000)
    return fail(ErrorKind::Invalid, "Range of CPUs is from 0.01 to " + std::to_string(f.ncpu) + ".00, as there are only " +
                                        std::to_string(f.ncpu) + " CPUs available");
  if (period != 0 && (period < 1000 || period > 1000000))
    return fail(ErrorKind::Invalid, "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (quota > 0 && quota < 1000) return fail(ErrorKind::Invalid, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (BERTH_TRY(int_field(hc, "CpuShares"), "") < 0) return fail(ErrorKind::Invalid, "CPU shares can not be negative");
  BERTH_CHECK(check_cpuset(json_string(hc, "CpusetCpus"), f.cpus_online, "cpuset cpus", "Requested CPUs are not available"), "");
  BERTH_CHECK(check_cpuset(json_string(hc, "CpusetMems"), f.mems_online, "cpuset mems",
                           "Requested memory nodes are not available"), "");
  auto weight = BERTH_TRY(int_field(hc, "BlkioWeight"), "");
  if (weight != 0 && (weight < 10 || weight > 1000)) return fail(ErrorKind::Invalid, "Range of blkio weight is from 10 to 1000");
  if (present(hc, "PidsLimit") && BERTH_TRY(int_field(hc, "PidsLimit"), "") <= 0) hc["PidsLimit"] = 0;  // unlimited
  auto oom = BERTH_TRY(int_field(hc, "OomScoreAdj"), "");
  if (oom < -1000 || oom > 1000)
    return fail(ErrorKind::Invalid, "Invalid value " + std::to_string(oom) + ", range for oom score adj is [-1000, 1000]");
  if (oom < f.own_oom_score_adj && !f.can_lower_oom_score) {
    // The kernel refuses a score below the creator's without CAP_SYS_RESOURCE: keep berthd's.
    warnings.push_back("OomScoreAdj " + std::to_string(oom) + " is below berthd's own (" +
                       std::to_string(f.own_oom_score_adj) + ") and the host does not grant CAP_SYS_RESOURCE: using " +
                       std::to_string(f.own_oom_score_adj));
    hc["OomScoreAdj"] = f.own_oom_score_adj;
  }
  auto shm = BERTH_TRY(int_field(hc, "ShmSize"), "");
  if (shm < 0) return fail(ErrorKind::Invalid, "SHM size can not be less than 0");
  if (shm == 0) hc["ShmSize"] = kDefaultShmSize;
  if (present(hc, "DeviceCgroupRules")) {
    if (!hc["DeviceCgroupRules"].is_array()) return fail(ErrorKind::Invalid, "HostConfig.DeviceCgroupRules: expected an array");
    for (auto& r : hc["DeviceCgroupRules"])
      BERTH_CHECK(device_cgroup_rule(r.is_string() ? r.get<std::string>() : std::string()), "");
  }
  return warnings;
}

Result<json> cgroup_resources(const json& hc) {
  json r = json::object();
  json mem = json::object(), cpu = json::object(), blkio = json::object();
  if (auto v = BERTH_TRY(int_field(hc, "Memory"), ""); v > 0) mem["limit"] = v;
  if (auto v = BERTH_TRY(int_field(hc, "MemoryReservation"), ""); v > 0) mem["reservation"] = v;
  if (auto v = BERTH_TRY(int_field(hc, "MemorySwap"), ""); v > 0) mem["swap"] = v;
  if (present(hc, "MemorySwappiness"))
    if (auto v = BERTH_TRY(int_field(hc, "MemorySwappiness"), ""); v >= 0) mem["swappiness"] = v;
  if (json_flag(hc, "OomKillDisable")) mem["disableOOMKiller"] = true;
  if (auto nano = BERTH_TRY(int_field(hc, "NanoCpus"), ""); nano > 0) {
    cpu["period"] = 100000;  // dockerd's: 100 ms periods, the quota a share of each
    cpu["quota"] = nano * 100000 / 1000000000;
  }
  if (auto v = BERTH_TRY(int_field(hc, "CpuShares"), ""); v > 0) cpu["shares"] = v;
  if (auto v = BERTH_TRY(int_field(hc, "CpuPeriod"), ""); v > 0) cpu["period"] = v;
  if (auto v = BERTH_TRY(int_field(hc, "CpuQuota"), ""); v != 0) cpu["quota"] = v;
  if (auto v = json_string(hc, "CpusetCpus"); !v.empty()) cpu["cpus"] = v;
  if (auto v = json_string(hc, "CpusetMems"); !v.empty()) cpu["mems"] = v;
  if (auto v = BERTH_TRY(int_field(hc, "BlkioWeight"), ""); v > 0) blkio["weight"] = v;
  auto wd = BERTH_TRY(throttle_devices(hc, "BlkioWeightDevice", "Weight", "weight"), "");
  if (!wd.empty()) blkio["weightDevice"] = wd;
  const std::pair<const char*, const char*> throttles[] = {{"BlkioDeviceReadBps", "throttleReadBpsDevice"},
                                                           {"BlkioDeviceWriteBps", "throttleWriteBpsDevice"},
                                                           {"BlkioDeviceReadIOps", "throttleReadIOPSDevice"},
                                                           {"BlkioDeviceWriteIOps", "throttleWriteIOPSDevice"}};
  for (auto [key, oci] : throttles) {
    auto t = BERTH_TRY(throttle_devices(hc, key, "Rate", "rate"), "");
    if (!t.empty()) blkio[oci] = t;
  }
  if (!mem.empty()) r["memory"] = mem;
  if (!cpu.empty()) r["cpu"] = cpu;
  if (!blkio.empty()) r["blockIO"] = blkio;
  if (auto v = BERTH_TRY(int_field(hc, "PidsLimit"), ""); v > 0) r["pids"] = {{"limit", v}};
  return r;
}

Result<> apply_resources(json& spec, const json& hc, const std::string& id, const std::map<std::string, Ulimit>& defaults) {
  auto& lx = spec["linux"];
  auto res = BERTH_TRY(cgroup_resources(hc), "");
  for (auto& [k, v] : res.items()) lx["resources"][k] = v;

  // Rlimits: berth's base, daemon.json's default-ulimits, then the container's --ulimit.
  std::map<std::string, json> limits;
  for (auto& r : spec["process"].value("rlimits", json::array())) limits[r["type"].get<std::string>()] = r;
  auto put = [&](const std::string& name, int64_t soft, int64_t hard) {
    std::string type = "RLIMIT_";
    for (char c : name) type += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    limits[type] = {{"type", type}, {"hard", static_cast<uint64_t>(hard)}, {"soft", static_cast<uint64_t>(soft)}};
  };
  for (auto& [name, u] : defaults) put(name, u.soft, u.hard);
  if (present(hc, "Ulimits")) {
    if (!hc["Ulimits"].is_array()) return fail(ErrorKind::Invalid, "HostConfig.Ulimits: expected an array");
    for (auto& u : hc["Ulimits"]) {
      if (!u.is_object() || !u.value("Name", json()).is_string())
        return fail(ErrorKind::Invalid, "HostConfig.Ulimits: each entry needs a Name");
      auto soft = BERTH_TRY(int_field(u, "Soft"), "HostConfig.Ulimits"), hard = BERTH_TRY(int_field(u, "Hard"), "HostConfig.Ulimits");
      if (soft > hard) return fail(ErrorKind::Invalid, "ulimit soft limit must be less than or equal to hard limit: " +
                                                           std::to_string(soft) + " > " + std::to_string(hard));
      put(u["Name"].get<std::string>(), soft, hard);
    }
  }
  json rl = json::array();
  for (auto& [k, v] : limits) rl.push_back(v);
  spec["process"]["rlimits"] = rl;

  if (auto oom = BERTH_TRY(int_field(hc, "OomScoreAdj"), ""); oom != 0) spec["process"]["oomScoreAdj"] = oom;

  // --device and --device-cgroup-rule, after the security defaults' deny-all.
  if (present(hc, "Devices")) {
    if (!hc["Devices"].is_array()) return fail(ErrorKind::Invalid, "HostConfig.Devices: expected an array");
    for (auto& d : hc["Devices"]) {
      if (!d.is_object()) return fail(ErrorKind::Invalid, "HostConfig.Devices: expected objects");
      auto host = json_string(d, "PathOnHost"), in = json_string(d, "PathInContainer"), perms = json_string(d, "CgroupPermissions");
      if (in.empty()) in = host;
      if (perms.empty()) perms = "rwm";
      if (in.empty() || in.front() != '/')
        return fail(ErrorKind::Invalid, "HostConfig.Devices: " + in + " is not an absolute path");
      if (perms.find_first_not_of("rwm") != std::string::npos)
        return fail(ErrorKind::Invalid, "invalid device mode: " + perms);
      auto dev = BERTH_TRY(host_device(host, in), "");
      lx["devices"].push_back(dev);
      lx["resources"]["devices"].push_back(
          {{"allow", true}, {"type", dev["type"]}, {"major", dev["major"]}, {"minor", dev["minor"]}, {"access", perms}});
    }
  }
  if (present(hc, "DeviceCgroupRules"))
    for (auto& r : hc["DeviceCgroupRules"]) lx["resources"]["devices"].push_back(BERTH_TRY(device_cgroup_rule(r.get<std::string>()), ""));

  // A private /dev/shm of ShmSize bytes.
  auto shm = BERTH_TRY(int_field(hc, "ShmSize"), "");
  if (shm <= 0) shm = kDefaultShmSize;
  for (auto& m : spec["mounts"])
    if (m.value("destination", "") == "/dev/shm" && m.value("type", "") == "tmpfs") {
      json opts = json::array();
      for (auto& o : m["options"])
        if (o.get<std::string>().rfind("size=", 0) != 0) opts.push_back(o);
      opts.push_back("size=" + std::to_string(shm / 1024) + "k");
      m["options"] = opts;
    }

  if (auto parent = json_string(hc, "CgroupParent"); !parent.empty()) {
    if (("/" + parent + "/").find("/../") != std::string::npos)
      return fail(ErrorKind::Invalid, "invalid cgroup parent: " + parent);  // no way out of the cgroup tree
    if (parent.front() != '/') parent = "/" + parent;
    while (parent.size() > 1 && parent.back() == '/') parent.pop_back();
    lx["cgroupsPath"] = parent + "/" + id;
  }
  return {};
}

}  // namespace berth::engine
