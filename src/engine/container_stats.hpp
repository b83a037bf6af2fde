// docker stats: the JSON the docker client computes CPU %, memory usage / limit, net I/O,
// block I/O and PIDs from (the Engine API's StatsJSON), built from the runtime's cgroup stats
// (runc's `events --stats` object, read by the runtime library for v1, v2 and hybrid), the
// host's CPU time and memory, and the container's /proc/<pid>/net/dev.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace berth::engine {

// What the sample needs besides the cgroup numbers.
struct StatsHost {
  uint64_t system_cpu_ns = 0;  // /proc/stat's cpu line in nanoseconds
  uint32_t online_cpus = 0;
  uint64_t memory_total = 0;   // the limit shown when the container has none (as dockerd)
  bool v2_memory = false;      // the memory numbers come from cgroup v2 (no max_usage, failcnt)
  std::string read;            // RFC 3339 time of the sample
};
StatsHost read_stats_host(bool v2_memory);

// /proc/<pid>/net/dev text -> {"eth0": {"rx_bytes": ...}} without the loopback.
nlohmann::json parse_net_dev(const std::string& text);
// The container's interfaces as seen from its network namespace; {} when it shares the host's.
nlohmann::json container_networks(pid_t pid);

// One sample: runc's stats "data" object -> StatsJSON's read, cpu_stats, memory_stats,
// blkio_stats, pids_stats (precpu_stats and preread come from the previous sample).
nlohmann::json docker_stats_sample(const nlohmann::json& runc_data, const StatsHost& host, const nlohmann::json& networks);
// StatsJSON from a sample and the one before it (null: none, the zero values dockerd sends).
nlohmann::json docker_stats_body(const nlohmann::json& sample, const nlohmann::json& previous, const std::string& name,
                                 const std::string& id);
// What dockerd answers for a container that is not running: every number zero.
nlohmann::json docker_stats_empty(const std::string& name, const std::string& id);

}  // namespace berth::engine
