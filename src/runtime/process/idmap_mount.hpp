// Idmapped bind mounts (mounts[].uidMappings/gidMappings). The parent, still in the host's
// namespaces, clones the source tree detached and sets the id mapping on it; the child only
// attaches the prepared tree inside the container (move_mount), as the mount step runs there.
#pragma once
#include <map>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::runtime {

// Index into spec.mounts -> detached, idmapped mount tree.
using IdmappedMounts = std::map<size_t, UniqueFd>;

// A user namespace carrying the mappings (no process in it once returned), for MOUNT_ATTR_IDMAP.
Result<UniqueFd> user_namespace_fd(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids);

Result<IdmappedMounts> prepare_idmapped_mounts(const Spec& spec, const std::string& bundle);

}  // namespace berth::runtime
