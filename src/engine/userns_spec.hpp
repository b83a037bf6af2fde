// A container under userns-remap (container_service's part): whether it is remapped (not with
// --userns=host), dockerd's refusals of what a remapped container cannot have, and its OCI
// spec's user namespace with the remap's ranges.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.hpp"
#include "engine/userns_remap.hpp"
#include "image/layer_diff.hpp"

namespace berth::engine {

// The remap that applies to a container with this HostConfig; nullopt with --userns=host.
std::optional<UsernsRemap> remap_for(const std::optional<UsernsRemap>& daemon, const nlohmann::json& hc);
// dockerd's messages for --privileged, --net=host and --pid=host without --userns=host.
Result<> check_remapped_host_config(const nlohmann::json& hc);
// linux.namespaces gains a user namespace; linux.uidMappings/gidMappings the remap's ranges.
void add_user_namespace(nlohmann::json& spec, const UsernsRemap& r);
// linux.uidMappings ("uid") or gidMappings ("gid") of a spec, for the layer a commit writes.
std::vector<image::IdRangeMap> spec_id_map(const nlohmann::json& spec, const std::string& kind);
// The host ids of the container's root per its spec (nullopt: not remapped).
std::optional<std::pair<uint32_t, uint32_t>> remapped_root(const nlohmann::json& spec);

}  // namespace berth::engine
