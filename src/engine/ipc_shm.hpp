// --ipc shareable: the container's /dev/shm is a tmpfs that berthd mounts on the host
// (<container dir>/shm), so that --ipc container:<id> can bind the same one (a mount inside
// the donor's own mount namespace cannot be cloned into another). Unmounted with the container.
#pragma once
#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace berth::engine {

std::string shareable_shm_dir(const std::string& container_dir);
// Mounts the tmpfs unless it is mounted already (berthd restarts, host reboots).
Result<> ensure_shareable_shm(const std::string& container_dir, int64_t size);
void release_shareable_shm(const std::string& container_dir);

}  // namespace berth::engine
