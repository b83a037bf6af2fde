// Cgroup managers: one interface, three layouts (v1, v2, hybrid), chosen by probing.
// Parent side only: the runtime creates the cgroup, applies limits, moves the init in,
// and removes the cgroup on delete.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::runtime {

enum class CgroupLayout { V1, V2, Hybrid };
const char* cgroup_layout_name(CgroupLayout l);  // "v1", "v2", "hybrid"

// Probes /sys/fs/cgroup (statfs magic) and the unified mount.
CgroupLayout detect_cgroup_layout();

// Checks linux.resources before anything is created: unknown/negative/out-of-range values,
// device rules, missing block devices. Errors name the field ("linux.resources.memory.limit: ...").
Result<> validate_resources(const nlohmann::json& resources);

// OOM-kill notifications for one cgroup: poll fd() for POLLIN, then call consume().
// v1: an eventfd registered through cgroup.event_control on memory.oom_control;
// v2: inotify on memory.events (the kernel sends IN_MODIFY when its counters change).
class OomEvents {
 public:
  OomEvents(UniqueFd fd, std::string counter_file, bool eventfd, uint64_t seen);
  int fd() const { return fd_.get(); }
  // Drains the fd; returns how many new OOM kills happened since the last call (may be 0).
  Result<uint64_t> consume();

 private:
  UniqueFd fd_;
  std::string counter_file_;  // memory.oom_control (v1) or memory.events (v2): "oom_kill N"
  bool eventfd_;
  uint64_t seen_;
};

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
  // OOM-kill events and the kernel's oom_kill counter of the memory cgroup.
  virtual Result<OomEvents> oom_events() { return fail(ErrorKind::Unavailable, "oom events: no memory cgroup"); }
  virtual Result<uint64_t> oom_kill_count() { return fail(ErrorKind::Unavailable, "oom count: no memory cgroup"); }
  // Resources this host cannot apply (a missing controller, a v1-only field on v2) are notes, not
  // errors: they go to the caller's sink (GlobalOptions::on_warning), or nowhere.
  virtual void set_warning_sink(std::function<void(const std::string&)> sink) { warn_ = std::move(sink); }

 protected:
  void warn(const std::string& w) const {
    if (warn_) warn_(w);
  }

 private:
  std::function<void(const std::string&)> warn_;
};

// Where the hierarchies are mounted and where the caller sits in them. Probed from
// /proc/self/mountinfo and /proc/self/cgroup; tests inject a directory tree shaped like cgroupfs.
struct CgroupHierarchy {
  std::vector<std::string> controllers;  // {"cpu","cpuacct"}, {"memory"}, {"name=systemd"}
  std::string mountpoint;                // /sys/fs/cgroup/memory
  std::string root = "/";                // the mount's root within the hierarchy (mountinfo field 4)
  std::string self = "/";                // the caller's cgroup in this hierarchy (/proc/self/cgroup)
};
struct CgroupRoots {
  CgroupLayout layout = CgroupLayout::V2;
  std::vector<CgroupHierarchy> v1;  // empty on a pure v2 host
  std::string unified;              // cgroup2 mount point, empty when none
  std::string unified_self = "/";   // the caller's cgroup2 path
};
Result<CgroupRoots> probe_cgroup_roots();
// The same from the texts of /proc/self/mountinfo and /proc/self/cgroup and a detected layout.
Result<CgroupRoots> parse_cgroup_roots(const std::string& mountinfo, const std::string& self_cgroup, CgroupLayout layout);

// cgroups_path as in the OCI spec: absolute ("/a/b") below the hierarchy roots, relative ("a/b")
// below the runtime's own cgroup, or systemd style "slice:prefix:name" when systemd is set
// (mapped to a cgroupfs path). Empty means "/<id>".
Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const std::string& cgroups_path,
                                                           const std::string& id, bool systemd);
Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const CgroupRoots& roots,
                                                           const std::string& cgroups_path,
                                                           const std::string& id, bool systemd);
Result<std::unique_ptr<CgroupManager>> load_cgroup_manager(const nlohmann::json& saved);

// The cgroup path (relative to the hierarchy roots, or to the caller's cgroup when relative)
// that cgroups_path names: "/a/b", "a/b", or "/system.slice/pre-name.scope" for systemd style.
struct CgroupPath {
  std::string path;  // normalised, no "." / ".." components
  bool relative = false;
};
Result<CgroupPath> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id, bool systemd);

}  // namespace berth::runtime
