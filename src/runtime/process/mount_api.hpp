// Mounts made and placed through fds (the kernel's new mount API): a mount is built detached
// (open_tree for binds, fsopen/fsmount for filesystems), given its flags while nobody can see
// it, then attached onto an fd opened inside the container root (path_in_root.hpp). No step
// takes a path string that the container could have changed since it was checked.
#pragma once
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "runtime/process/mount_flags.hpp"

namespace berth::runtime {

// A detached copy of the mount tree at a host path (or at an fd when path is empty).
Result<UniqueFd> clone_tree(const std::string& path, bool recursive, int fd = -1);
// A new, detached filesystem instance: fsopen(type), source and data options, the per-mount
// flags of f (nosuid, nodev, noexec, ro, atime) set at fsmount.
Result<UniqueFd> new_fs_mount(const std::string& type, const std::string& source, const MountFlags& f);
// Sets (and, where asked, clears) per-mount flags on a detached or attached mount fd. In a user
// namespace flags inherited from the host are locked: they are kept rather than failing.
Result<> set_mount_flags(int mnt_fd, unsigned long set, unsigned long clear, bool recursive);
// Propagation (MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, | MS_REC) of an attached mount.
Result<> set_propagation(int mnt_fd, unsigned long propagation);
// Attaches a detached mount onto the object target_fd refers to.
Result<> attach_mount(int mnt_fd, int target_fd);

}  // namespace berth::runtime
