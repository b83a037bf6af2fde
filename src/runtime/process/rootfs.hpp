// The container's root filesystem. Child side: runs inside the new mount namespace.
// Order: rootfs_prepare (before pivot) -> [createContainer hooks] -> rootfs_pivot ->
// sysctls -> rootfs_finish (masked and read-only paths, read-only root).
// Every target is an fd opened inside the root (path_in_root.hpp), every mount is built
// detached and attached onto that fd (mount_api.hpp).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "runtime/spec/spec.hpp"

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

Result<> rootfs_prepare(const Spec& spec, const RootfsOptions& opt);
Result<> rootfs_pivot(const std::string& root, bool no_pivot);
Result<> apply_root_propagation(const Spec& spec);  // after pivot: rootfsPropagation on the new /
Result<> apply_sysctls(const Spec& spec);
Result<> rootfs_finish(const Spec& spec);

// Parts of rootfs_prepare, in their own files.
// /sys/fs/cgroup inside the container, attached onto target_fd (cgroup_mount.cpp).
Result<> mount_cgroups(int target_fd, unsigned long flags, const RootfsOptions& opt);
// The default and configured device nodes and /dev's links (devices.cpp).
Result<> setup_devices(const Spec& spec, int root_fd, const RootfsOptions& opt);

}  // namespace berth::runtime
