// Facts about the host that `docker info` and `docker version` print.
#pragma once
#include <cstdint>
#include <string>

namespace berth::engine {

struct HostInfo {
  std::string hostname, kernel_version, operating_system, os_version, os_type = "linux", architecture;
  int ncpu = 0;
  int64_t mem_total = 0;
  std::string cgroup_version;  // "1" or "2" (the hybrid layout counts as 1, as dockerd reports it)
  std::string cgroup_driver = "cgroupfs";
};

HostInfo host_info();

}  // namespace berth::engine
