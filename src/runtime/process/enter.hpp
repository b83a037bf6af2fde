// The last steps of every container process, the init's and each exec's alike, written once as
// an ordered list (enter.cpp). Before them the caller has joined or created the namespaces and
// the cgroup and (init) built the root filesystem; after them it may wait (init: for `start`),
// then calls exec_container_process.
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/process/process_setup.hpp"

namespace berth::runtime {

struct EnterContext {
  ProcessPlan* plan = nullptr;
  int sync_fd = -1;        // to the parent: errors, the seccomp listener fd
  int console_fd = -1;     // receives the pty master when process.terminal
  int preserve_fds = 0;    // fds 3 .. 3+N-1 are the container's own
  std::vector<int> keep;   // our own fds still needed until exec (close-on-exec)
  bool new_session = false;   // setsid before taking a controlling terminal (exec)
  bool in_new_userns = false;
};

// Returns the executable to run. The process is then the configured user with its capabilities,
// in its cwd, holding only stdio, the preserved fds and ctx.keep.
Result<std::string> enter_process(const EnterContext& ctx);

// Seccomp last when no_new_privs is set (no more syscalls of ours to allow), then execve.
// Errors go to sync_fd when the parent still listens, else to the container's stderr.
[[noreturn]] void exec_container_process(const std::string& exe, ProcessPlan& plan, int sync_fd);

}  // namespace berth::runtime
