// dockerd's copy-up: a new volume mounted over a directory of the image starts with that
// directory's content (owners, modes, times, symlinks as they are). The image side is opened
// inside the container's root (a symlinked path cannot lead out of it) and every step works
// on fds, so nothing outside the root is read and nothing outside the volume is written.
#pragma once
#include <string>

#include "common/error.hpp"

namespace berth::engine {

// Copies <rootfs>/<dest> into volume_dir when that is empty; nothing when dest does not exist
// in the image or is not a directory.
Result<> copy_up(const std::string& rootfs, const std::string& dest, const std::string& volume_dir);

}  // namespace berth::engine
