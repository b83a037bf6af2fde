// Every HostConfig field that shapes the OCI spec beyond networking, in the order dockerd
// applies them: security (security_spec), namespaces and sysctls (namespace_modes), resources
// (resources_spec), supplementary groups (--group-add).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/daemon_config.hpp"
#include "engine/namespace_modes.hpp"
#include "engine/resources_spec.hpp"
#include "engine/security_spec.hpp"

namespace berth::engine {

struct HostConfigContext {
  SecurityContext security;
  HostFacts facts;
  std::map<std::string, Ulimit> default_ulimits;
  DonorLookup donors;
  std::string group_file;  // the container's /etc/group
  std::string shm_dir;     // its shareable /dev/shm on the host (--ipc shareable)
  bool resolve_groups = true;  // false for the check before the root exists
};

// Checks hc and completes it as dockerd records it (checked before anything is created);
// returns the create response's warnings.
Result<std::vector<std::string>> normalize_host_config(nlohmann::json& hc, const nlohmann::json& config,
                                                       const HostConfigContext& ctx);

// Applies the (normalized) hc to spec.
Result<> apply_host_config(nlohmann::json& spec, const nlohmann::json& hc, const std::string& id,
                           const HostConfigContext& ctx);

}  // namespace berth::engine
