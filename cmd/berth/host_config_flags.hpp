// berth run/create's security and resource flags (docker's names), parsed on the client as the
// docker CLI parses them (sizes with units, --cpus as a fraction, --ulimit name=soft:hard,
// --device host[:container[:perms]], --security-opt seccomp=<file> sent as the file's JSON),
// into the create body's HostConfig; berth update takes the resource ones.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::cli {

struct HostConfigFlags {
  std::vector<std::string> cap_add, cap_drop, security_opt, group_add, sysctl, ulimit, device, device_cgroup_rule,
      blkio_weight_device, device_read_bps, device_write_bps, device_read_iops, device_write_iops;
  bool privileged = false, read_only = false, oom_kill_disable = false;
  std::string ipc, pid, uts, userns, cgroupns, cgroup_parent;
  std::string memory, memory_reservation, memory_swap, kernel_memory, shm_size, cpus, cpuset_cpus, cpuset_mems;
  std::optional<int64_t> memory_swappiness, pids_limit, cpu_shares, cpu_period, cpu_quota, blkio_weight, oom_score_adj;
};

// run/create: every flag. update: only the resource ones.
void add_host_config_flags(CLI::App* sub, HostConfigFlags& f);
void add_update_flags(CLI::App* sub, HostConfigFlags& f);

// Sets the given flags' fields in hc. Errors: the docker CLI's ("invalid argument "1x" for
// "-m, --memory" flag: invalid size: '1x'").
Result<> apply_host_config_flags(const HostConfigFlags& f, nlohmann::json& hc);

// go-units RAMInBytes: "32m", "1.5g", "512" (bytes), "64MiB".
std::optional<int64_t> ram_in_bytes(const std::string& s);

}  // namespace berth::cli
