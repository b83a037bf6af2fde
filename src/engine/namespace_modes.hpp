// HostConfig's namespace modes onto the spec's linux.namespaces, as dockerd reads them:
// IpcMode (private, shareable, none, host, container:<id>), PidMode (host, container:<id>),
// UTSMode (host; container:<id> only for internal callers: CreateOptions::uts_container),
// UsernsMode (host: berth makes no user namespace without remapping), CgroupnsMode (private,
// host); and Sysctls, only those the container's namespaces isolate.
#pragma once
#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"

namespace berth::engine {

// A running container whose namespaces another one joins.
struct NamespaceDonor {
  std::string id;
  pid_t pid = 0;        // 0: not running
  std::string ipc_mode;  // its HostConfig.IpcMode
  std::string shm_dir;   // its shareable /dev/shm on the host
};
using DonorLookup = std::function<Result<NamespaceDonor>(const std::string& ref)>;

// Checks the modes' syntax only (dockerd's "invalid IPC mode: x"...): before anything exists.
Result<> validate_namespace_modes(const nlohmann::json& hc, const nlohmann::json& config);

// Edits spec's namespaces and /dev/shm for the modes; a donor must be running. shm_dir: where
// the container's own /dev/shm is mounted on the host when it is shareable.
Result<> apply_namespace_modes(nlohmann::json& spec, const nlohmann::json& hc, const DonorLookup& lookup,
                               const std::string& shm_dir);

// Sysctls -> linux.sysctl. host_network: --network host (net.* belongs to the host then).
Result<> apply_sysctls(nlohmann::json& spec, const nlohmann::json& hc, bool host_network);

}  // namespace berth::engine
