// Paths inside a container's root, opened as fds. A lookup resolves symlinks and ".." as if
// the root were "/" (openat2 RESOLVE_IN_ROOT) and refuses /proc magic links, so nothing a
// container can change (a symlink, a directory swapped for one mid-way) leads outside the root.
// Every mount, device node and cwd of the container is placed through one of these fds.
#pragma once
#include <fcntl.h>

#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::runtime {

// openat2(root_fd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS).
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags = O_PATH);

enum class NodeKind { Dir, File };
// O_PATH fd of path inside the root, creating what is missing one component at a time below
// an fd that is already inside the root: directories, and for NodeKind::File the last
// component as an empty file. A dangling symlink on the way is an error, not a way out.
Result<UniqueFd> make_in_root(int root_fd, const std::string& path, NodeKind kind);

// The host path an fd refers to (readlink of /proc/self/fd/N), "" if unknown.
std::string fd_path(int fd);
// Fails unless fd refers to root itself or something below it.
Result<> check_inside(int fd, const std::string& root, const std::string& what);

}  // namespace berth::runtime
