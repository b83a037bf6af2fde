// Runs one CNI plugin binary: found by name in the plugin directories, started with
// posix_spawn (no shell) in its own process group, the config JSON on stdin, its stdout
// collected, killed (with anything it started) when it outlives its timeout.
#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::network {

inline constexpr const char* kDefaultCniPluginDir = "/usr/lib/cni";

// The first executable regular file named type in dirs; NotFound names the dirs searched.
Result<std::string> find_cni_plugin(const std::string& type, const std::vector<std::string>& dirs);

struct CniCall {
  std::string command;       // ADD, DEL, CHECK, VERSION
  std::string container_id;
  std::string netns;         // path of the sandbox's network namespace
  std::string ifname;
  std::vector<std::pair<std::string, std::string>> args;  // CNI_ARGS
  std::vector<std::string> plugin_dirs;                   // CNI_PATH
};

// Refuses what the spec does not allow (a container id of other than [A-Za-z0-9_.-], an
// interface name with '/' or longer than 15, CNI_ARGS keys or values with ';' or '=', ADD or
// CHECK without a netns path).
Result<> validate_cni_call(const CniCall& call);

// The plugin's environment: the caller's (so PATH finds iptables) without its CNI_* variables,
// then the call's.
std::vector<std::string> cni_environment(const CniCall& call);

// Runs the plugin at path (named type in errors). Returns its stdout on exit status 0; a failure
// carries the plugin's error object ("plugin bridge: ADD failed: <msg>: <details> (code 11)") or
// its stderr.
Result<std::string> exec_cni_plugin(const std::string& path, const std::string& type, const CniCall& call,
                                    const std::string& stdin_json, std::chrono::milliseconds timeout);

}  // namespace berth::network
