// Starts a berth-shim detached from berthd (its own session, only its own fds: everything of
// berthd's is close-on-exec) and waits for its report: the container's pid once it runs, or
// the runtime's error.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct ShimStarted {
  pid_t shim_pid = 0;
  pid_t container_pid = 0;
};

// args: the shim's flags without --ready-fd.
Result<ShimStarted> launch_shim(const std::string& shim_path, const std::vector<std::string>& args);

// berth-shim next to the running executable (build/bin, /usr/bin).
std::string default_shim_path();

}  // namespace berth::engine
