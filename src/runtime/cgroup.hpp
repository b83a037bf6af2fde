// Cgroup managers: one interface, three layouts (v1, v2, hybrid), chosen by probing.
// Parent side only: the runtime creates the cgroup, applies limits, moves the init in,
// and removes the cgroup on delete.
#pragma once
#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::runtime {

enum class CgroupLayout { V1, V2, Hybrid };
const char* cgroup_layout_name(CgroupLayout l);  // "v1", "v2", "hybrid"

// Probes /sys/fs/cgroup (statfs magic) and the unified mount.
CgroupLayout detect_cgroup_layout();

// Checks linux.resources before anything is created: unknown/negative/out-of-range values,
// device rules, missing block devices. Errors name the field ("linux.resources.memory.limit: ...").
Result<> validate_resources(const nlohmann::json& resources);

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual CgroupLayout layout() const = 0;
  // Creates the directories (idempotent) and writes the limits.
  virtual Result<> create(const nlohmann::json& resources) = 0;
  // Writes only the fields present (runc update semantics).
  virtual Result<> update(const nlohmann::json& resources) = 0;
  virtual Result<> add_process(pid_t pid) = 0;
  virtual Result<> freeze() = 0;
  virtual Result<> thaw() = 0;
  virtual Result<bool> frozen() = 0;
  virtual Result<std::vector<pid_t>> pids() = 0;
  // runc `events --stats` "data" object: cpu, memory, pids, blkio, hugetlb.
  virtual Result<nlohmann::json> stats() = 0;
  // Removes the directories; the processes must be gone.
  virtual Result<> destroy() = 0;
  // Path to use as the cgroup namespace root / the path shown in /proc/PID/cgroup (unified or memory).
  virtual std::string path() const = 0;
  // Serialised form kept in the container state, so a later command can rebuild the manager.
  virtual nlohmann::json save() const = 0;
};

// cgroups_path as in the OCI spec: absolute ("/a/b") below the hierarchy roots, relative ("a/b")
// below the runtime's own cgroup, or systemd style "slice:prefix:name" when systemd is set
// (mapped to a cgroupfs path). Empty means "/<id>".
Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const std::string& cgroups_path,
                                                           const std::string& id, bool systemd);
Result<std::unique_ptr<CgroupManager>> load_cgroup_manager(const nlohmann::json& saved);

}  // namespace berth::runtime
