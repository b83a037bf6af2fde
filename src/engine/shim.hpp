// berth-shim's body: the parent of one container. It creates and starts the container through
// the runtime library in-process, holds its stdio (pipes, or the pty master with a TTY), writes
// its json-file log, serves the attach socket (engine/attach_protocol.hpp: live output, stdin,
// resize) in one poll loop, waits for it on the pidfd, records the exit durably and deletes the
// runtime state. It runs in its own
// session, a child subreaper, and outlives berthd.
#pragma once
#include <string>

namespace berth::engine {

struct ShimOptions {
  std::string id;
  std::string bundle;         // config.json + rootfs (mounted by berthd)
  std::string container_dir;  // data root: the json-file log and the exit record
  std::string state_dir;      // exec root: shim.json (pid, attach socket)
  std::string runtime_root;   // the runtime library's state root
  std::string seccomp_cache_dir;
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
std::string container_log_path(const std::string& container_dir, const std::string& id);

}  // namespace berth::engine
