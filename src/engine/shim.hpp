// berth-shim's body: the parent of one container. It creates and starts the container through
// the runtime library in-process, holds its stdio, writes its json-file log, waits for it on
// the pidfd, records the exit durably and deletes the runtime state. It runs in its own
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
  int ready_fd = -1;  // gets "ok <pid>\n" or "error <message>\n", then EOF
};

// Returns the shim's exit status.
int run_shim(const ShimOptions& o);

inline constexpr const char* kShimStateFile = "shim.json";
std::string container_log_path(const std::string& container_dir, const std::string& id);

}  // namespace berth::engine
