// HostConfig's resource fields (docker run --memory, --cpus, --pids-limit, --blkio-*, --ulimit,
// --shm-size, --device, --cgroup-parent...) checked as dockerd checks them and turned into the
// spec's linux.resources, rlimits, oomScoreAdj, devices, /dev/shm and cgroupsPath. The same
// checks and mapping serve `docker update` of a running container's cgroup.
#pragma once
#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/daemon_config.hpp"

namespace berth::engine {

// What the checks compare against.
struct HostFacts {
  int ncpu = 1;
  std::string cpus_online = "0";  // "0-1"
  std::string mems_online = "0";
  bool swap_limit = false;        // memory.memsw.* (v1) or memory.swap.max (v2)
  int own_oom_score_adj = 0;      // berthd's: a container may not go below it without CAP_SYS_RESOURCE
  bool can_lower_oom_score = false;
};
HostFacts probe_host_facts();

inline constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;
inline constexpr int64_t kMinMemory = 6 * 1024 * 1024;

// Checks the resource fields of hc and completes them as dockerd records them (MemorySwap
// twice Memory, ShmSize's default...). Returns dockerd's warnings. Errors: Invalid in
// dockerd's words ("Minimum memory limit allowed is 6MB").
Result<std::vector<std::string>> normalize_resources(nlohmann::json& hc, const HostFacts& f);

// The cgroup part: linux.resources' memory, cpu, pids and blockIO (devices not included).
Result<nlohmann::json> cgroup_resources(const nlohmann::json& hc);

// Everything else on the spec: cgroup resources, rlimits (daemon.json default-ulimits under
// the container's own), oomScoreAdj, --device and --device-cgroup-rule, /dev/shm's size,
// --cgroup-parent.
Result<> apply_resources(nlohmann::json& spec, const nlohmann::json& hc, const std::string& id,
                         const std::map<std::string, Ulimit>& default_ulimits);

// "0-2,4" -> {0,1,2,4}; nullopt when malformed.
std::optional<std::vector<int>> parse_cpu_list(const std::string& s);

}  // namespace berth::engine
