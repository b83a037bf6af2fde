// berth-shim's body: the parent of one container. It creates and starts the container through
// its runtime (runtime_driver.hpp), holds its stdio (pipes, or the pty master with a TTY), writes
// its log (log_writer.hpp), serves the attach socket (engine/attach_protocol.hpp: live output,
// stdin, resize) in one poll loop, waits for it on the pidfd, records the exit durably and
// deletes the runtime state. It runs in its own
// session, a child subreaper, and outlives berthd.
#pragma once
#include <string>

#include "engine/log_config.hpp"

namespace berth::engine {

struct ShimOptions {
  std::string id;
  std::string bundle;         // config.json + rootfs (mounted by berthd)
  std::string container_dir;  // data root: the json-file log and the exit record
  std::string state_dir;      // exec root: shim.json (pid, attach socket)
  std::string runtime_root;   // the runtime library's state root
  std::string seccomp_cache_dir;
  LogConfig log;  // the container's log driver and options (validated by berthd)
  bool open_stdin = false;
  // Attach sessions berthd connects right after the start (attached before it): the output is
  // not read until that many have subscribed (bounded), so they see it from the first byte.
  int attach_wait = 0;
  // The terminal's first size (HostConfig.ConsoleSize), before the container starts.
  int console_rows = 0, console_cols = 0;
  int ready_fd = -1;  // gets "ok <pid>\n" or "error <message>\n", then EOF
};

// Returns the shim's exit status.
int run_shim(const ShimOptions& o);

inline constexpr const char* kShimStateFile = "shim.json";
// In the state dir, written by berthd before the shim starts: the runtime the container runs
// on (runtime_driver.hpp); absent means berth's in-process runtime at runtime_root.
inline constexpr const char* kRuntimeFile = "runtime.json";
std::string container_log_path(const std::string& container_dir, const std::string& id);

}  // namespace berth::engine
