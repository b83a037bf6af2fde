// Network namespaces that outlive their processes: created before a container's process (so
// its links are configured first) and kept by a bind mount of the nsfs file at a path the
// runtime joins. Creating one leaves the caller's own namespace untouched.
#pragma once
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::network {

// Creates a namespace with its loopback up, bound at path (its directory is created).
Result<> create_netns(const std::string& path);
// Unmounts and unlinks path; a path that is already gone is not an error.
Result<> remove_netns(const std::string& path);
Result<UniqueFd> open_netns(const std::string& path);

}  // namespace berth::network
