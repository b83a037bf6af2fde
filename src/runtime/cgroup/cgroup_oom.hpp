// OOM-kill notification fds for a memory cgroup (v1 eventfd, v2 inotify).
#pragma once
#include <string>

#include "runtime/cgroup/cgroup.hpp"

namespace berth::runtime {

Result<OomEvents> open_oom_events_v1(const std::string& memory_dir);
Result<OomEvents> open_oom_events_v2(const std::string& dir);
// The "oom_kill N" line of memory.oom_control (v1) or memory.events (v2).
Result<uint64_t> read_oom_kill_count(const std::string& file);

}  // namespace berth::runtime
