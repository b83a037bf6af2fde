// The container's root filesystem. Child side: runs inside the new mount namespace.
// Order: rootfs_prepare (before pivot) -> [createContainer hooks] -> rootfs_pivot ->
// sysctls -> rootfs_finish (masked and read-only paths, read-only root).
#pragma once
#include <string>
#include <vector>

#include <map>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "runtime/spec.hpp"

namespace berth::runtime {

struct RootfsOptions {
  std::string bundle;        // relative bind sources resolve against it
  bool new_userns = false;   // mknod is not allowed: bind host devices instead
  bool new_cgroupns = false;
  bool new_netns = false;
  // The container's cgroup directories on the host, one per hierarchy: bound into
  // /sys/fs/cgroup without first reading /proc/self/cgroup (the move may still be under way).
  std::vector<std::string> cgroup_dirs;
  // spec.mounts index -> prepared idmapped tree (see idmap_mount.hpp).
  const std::map<size_t, UniqueFd>* idmapped = nullptr;
};

struct MountFlags {
  unsigned long set = 0;          // MS_* to set
  unsigned long clear = 0;        // MS_* explicitly cleared (rw, suid, ...)
  unsigned long propagation = 0;  // MS_PRIVATE | MS_SHARED | ... (| MS_REC)
  bool bind = false, recursive = false;
  std::string data;               // the options the filesystem itself parses
};
MountFlags parse_mount_options(const std::vector<std::string>& options);

// Resolves `unsafe` inside `root`, following symlinks as if root were "/": the result never
// leaves root ("../../etc" and absolute symlinks stay inside).
std::string secure_join(const std::string& root, const std::string& unsafe);

Result<> rootfs_prepare(const Spec& spec, const RootfsOptions& opt);
Result<> rootfs_pivot(const std::string& root, bool no_pivot);
Result<> apply_root_propagation(const Spec& spec);  // after pivot: rootfsPropagation on the new /
Result<> apply_sysctls(const Spec& spec);
Result<> rootfs_finish(const Spec& spec);

}  // namespace berth::runtime
