// Helpers for driving real container managers (containerd, dockerd, podman) with berth-runtime:
// a busybox image archive built from scratch, a daemon process with a bounded stop, and checks
// that nothing (processes, mounts, cgroups, stray directories) is left behind.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace berth::peers {

// A docker-archive tarball (manifest.json + config + one layer) of a busybox rootfs, tagged
// repo_tag ("berthbox:latest"). Every peer here can load it: docker load, podman load,
// ctr images import.
std::string make_busybox_archive(const std::string& dir, const std::string& repo_tag);

// A long-running peer daemon with its output in a log file. Stopped (SIGTERM, then SIGKILL after
// a bounded wait) on destruction or by stop().
class Daemon {
 public:
  Daemon(std::vector<std::string> argv, std::string log_path);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  pid_t pid() const { return pid_; }
  bool running() const;
  // Returns true when it exited after SIGTERM within the timeout.
  bool stop(std::chrono::seconds timeout = std::chrono::seconds(30));
  std::string log_tail(size_t bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// Cgroup directories named `name` (a path below each hierarchy root) removed at the end, deepest
// first, on every mounted hierarchy (v1 controllers and the unified mount).
class CgroupParentCleanup {
 public:
  explicit CgroupParentCleanup(std::string name) : name_(std::move(name)) {}
  ~CgroupParentCleanup();
  const std::string& name() const { return name_; }
  // The container's own cgroup below the parent, if any hierarchy still has it.
  bool any_left_below(const std::string& child) const;

 private:
  std::string name_;
};

// Directories a peer creates in shared places (/run/containerd, /run/containers/networks):
// the ones that did not exist before are removed at the end if empty.
class StrayDirs {
 public:
  explicit StrayDirs(std::vector<std::string> paths);
  ~StrayDirs();

 private:
  std::vector<std::string> created_;  // candidates: absent at construction
};

// Processes whose command line mentions `needle` (e.g. the test's temp dir): shims, conmon,
// container inits that outlived their manager.
std::vector<pid_t> processes_mentioning(const std::string& needle);
// Mount points at or below dir.
std::vector<std::string> mounts_below(const std::string& dir);

std::string runtime_binary();  // build/bin/berth-runtime

}  // namespace berth::peers
