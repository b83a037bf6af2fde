// The OCI runtime spec (config.json) as an immutable, validated model.
// Sections that have their own module (linux.resources -> cgroups, linux.seccomp -> seccomp)
// stay as JSON here and are validated by that module.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::runtime {

using nlohmann::json;

struct IdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
};

struct User {
  uint32_t uid = 0, gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string name;  // "RLIMIT_NOFILE"
  uint64_t soft = 0, hard = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
  unsigned height = 0, width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile, selinux_label;
  json scheduler, io_priority;  // null when absent
};

struct Mount {
  std::string destination, type, source;
  std::vector<std::string> options;
  std::vector<IdMapping> uid_mappings, gid_mappings;
};

struct Hook {
  std::string path;
  std::vector<std::string> args, env;
  bool has_env = false;  // "env" absent: the hook inherits the runtime's environment (as runc)
  std::optional<int> timeout;
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

enum class NsType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct Namespace {
  NsType type;
  std::string path;  // empty: create a new one
};

struct Device {
  std::string path;
  char type = 'c';  // c, b, u, p
  int64_t major = 0, minor = 0;
  std::optional<uint32_t> file_mode, uid, gid;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::vector<Device> devices;
  std::string cgroups_path;
  json resources;  // linux.resources as given (validated by the cgroup module)
  json seccomp;    // linux.seccomp as given (validated by the seccomp module)
  std::map<std::string, std::string> sysctl;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths, readonly_paths;
  std::string mount_label;
  json personality, intel_rdt, time_offsets;

  const Namespace* find(NsType t) const;
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;
  std::string root_path;  // absolute (resolved against the bundle)
  bool root_readonly = false;
  std::string hostname, domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;
  json document;  // config.json as given (kept in the container's state)
};

// Parses and validates config.json text; errors name the field ("process.args: expected array").
// bundle is used to resolve a relative root.path.
Result<Spec> parse_spec(std::string_view text, const std::string& bundle);
Result<Spec> load_spec(const std::string& bundle);
Result<Process> parse_process(const json& j, std::string_view where);
Result<Hooks> parse_hooks(const json& j);

const char* ns_name(NsType t);  // "pid", "network", ...
Result<NsType> ns_from_name(std::string_view name);
int ns_clone_flag(NsType t);
const char* ns_proc_name(NsType t);  // entry under /proc/PID/ns: "pid", "net", "mnt"...
// Writes /proc/PID/uid_map and gid_map ("containerID hostID size" lines) for a new user namespace.
Result<> write_id_maps(int pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

// The default config.json that `spec` writes (runc's defaults); rootless adds user namespace mappings.
json default_spec(bool rootless);

}  // namespace berth::runtime
