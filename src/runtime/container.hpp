// The runtime's operations, one call per runc verb. The CLI parses flags and calls these.
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::runtime {

struct GlobalOptions {
  std::string root = "/run/berth-runtime";
  bool systemd_cgroup = false;
};

struct CreateOptions {
  std::string id, bundle, pid_file, console_socket;
  bool no_pivot = false, no_new_keyring = false;
  int preserve_fds = 0;
  bool relay_tty = false;  // internal: a foreground run relays a terminal itself (no --console-socket)
};

Result<> create_container(const GlobalOptions& g, const CreateOptions& o);
Result<> start_container(const GlobalOptions& g, const std::string& id);
// Foreground run returns the container's exit status (128+signal when killed); detach returns 0.
Result<int> run_container(const GlobalOptions& g, const CreateOptions& o, bool detach);
Result<nlohmann::json> container_state(const GlobalOptions& g, const std::string& id);
Result<std::vector<nlohmann::json>> list_containers(const GlobalOptions& g);
Result<> kill_container(const GlobalOptions& g, const std::string& id, int sig, bool all);
Result<> delete_container(const GlobalOptions& g, const std::string& id, bool force);
Result<std::vector<pid_t>> container_pids(const GlobalOptions& g, const std::string& id);
Result<> pause_container(const GlobalOptions& g, const std::string& id);
Result<> resume_container(const GlobalOptions& g, const std::string& id);

struct ExecOptions {
  std::string id;
  std::string process_file;          // --process: a process JSON; otherwise args + flags below
  std::vector<std::string> args, env, caps;
  std::string cwd, user, console_socket, pid_file;
  bool tty = false, detach = false, no_new_privs = false;
  std::vector<std::string> additional_gids;
  int preserve_fds = 0;
};
Result<int> exec_in_container(const GlobalOptions& g, const ExecOptions& o);

// Waits for a child of ours, forwarding signals to it; returns its exit status (128+sig).
int wait_forwarding_signals(pid_t pid);

}  // namespace berth::runtime
