// The runtime's operations, one call per runc verb. The CLI parses flags and calls these.
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "runtime/state.hpp"

namespace berth::runtime {

// Everything a call needs from its caller; the library keeps no process-wide settings.
struct GlobalOptions {
  std::string root = "/run/berth-runtime";
  bool systemd_cgroup = false;
  std::string seccomp_cache_dir;  // compiled seccomp programs (seccomp.hpp); empty: no cache
  // Where warnings go (capabilities not granted, rlimits clamped, failed poststart/poststop
  // hooks): the caller decides; unset drops them.
  std::function<void(const std::string&)> on_warning;
  void warn(const std::string& w) const {
    if (on_warning) on_warning(w);
  }
};

struct CreateOptions {
  std::string id, bundle, pid_file, console_socket;
  bool no_pivot = false, no_new_keyring = false;
  int preserve_fds = 0;
  // With a terminal and no console_socket, the pty master comes back in Created::console
  // (a shim holding the container's stdio, a foreground run); otherwise that is an error.
  bool console_to_caller = false;
  // The container's init is killed when the creating thread's process dies (a shim that is
  // the container's parent: kill -9 of it takes the container down, nothing is orphaned).
  bool die_with_parent = false;
};

// What a caller holds on to after create: the init to wait for and signal, and its terminal.
struct Created {
  pid_t pid = 0;
  UniqueFd pidfd;    // readable when the init exits: no polling of /proc
  UniqueFd console;  // the pty master (CreateOptions::console_to_caller)
};

Result<Created> create_container(const GlobalOptions& g, const CreateOptions& o);
Result<> start_container(const GlobalOptions& g, const std::string& id);
// Foreground run returns the container's exit status (128+signal when killed); detach returns 0.
Result<int> run_container(const GlobalOptions& g, const CreateOptions& o, bool detach);
// A container as the runtime knows it: what was recorded at create and its live status.
struct ContainerInfo {
  ContainerState state;
  Status status = Status::Stopped;
};
Result<ContainerInfo> container_state(const GlobalOptions& g, const std::string& id);
Result<std::vector<ContainerInfo>> list_containers(const GlobalOptions& g);
Result<> kill_container(const GlobalOptions& g, const std::string& id, int sig, bool all);
Result<> delete_container(const GlobalOptions& g, const std::string& id, bool force);
Result<std::vector<pid_t>> container_pids(const GlobalOptions& g, const std::string& id);
Result<> pause_container(const GlobalOptions& g, const std::string& id);
Result<> resume_container(const GlobalOptions& g, const std::string& id);

struct ExecOptions {
  std::string id;
  std::string process_file;          // --process: a process JSON; otherwise args + flags below
  nlohmann::json process;            // the same given in memory (a shim's exec); null: unused
  std::vector<std::string> args, env, caps;
  std::string cwd, user, console_socket, pid_file;
  bool tty = false, detach = false, no_new_privs = false;
  std::vector<std::string> additional_gids;
  int preserve_fds = 0;
  // With a terminal and no console_socket, the pty master comes back in Created::console.
  bool console_to_caller = false;
};
Result<int> exec_in_container(const GlobalOptions& g, const ExecOptions& o);
// The exec'd process started with the caller's fds 0-2 as its stdio, not waited for: it is our
// child, to wait for on Created::pidfd.
Result<Created> spawn_exec(const GlobalOptions& g, const ExecOptions& o);

// Waits for a child of ours, forwarding signals to it; returns its exit status (128+sig).
int wait_forwarding_signals(pid_t pid);

}  // namespace berth::runtime
