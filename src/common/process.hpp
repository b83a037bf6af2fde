// Process facts read from /proc, and signal names.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>

#include "common/error.hpp"

namespace berth {

// Start time in clock ticks since boot (field 22 of /proc/PID/stat); identifies a pid across reuse.
std::optional<unsigned long long> process_start_time(pid_t pid);
// Alive and not a zombie.
bool process_running(pid_t pid);
// "KILL", "SIGKILL", "sigkill", "9" -> 9.
Result<int> parse_signal(std::string_view s);
std::string signal_name(int sig);  // 9 -> "SIGKILL"
// The program called name in the running executable's directory (berthd finds berth-shim and
// berth-pause there: build/bin, /usr/bin); name alone when /proc/self/exe cannot be read.
std::string sibling_executable(std::string_view name);

}  // namespace berth
