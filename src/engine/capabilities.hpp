// Docker's capability handling: the default set, --cap-add/--cap-drop (names with or without
// CAP_, any case, ALL) and --privileged, bounded by what the host's bounding set can give (a
// capability the host lacks cannot be granted, so berth leaves it out where dockerd fails).
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

const std::vector<std::string>& docker_default_caps();
// Every capability the kernel headers know, in number order.
const std::vector<std::string>& known_caps();
// The calling process's bounding set (/proc/self/status CapBnd) as names.
std::vector<std::string> host_bounding_caps();

// "sys_admin" -> "CAP_SYS_ADMIN"; "ALL" stays. Unknown: dockerd's `unknown capability: "CAP_X"`.
Result<std::string> normalize_cap(const std::string& name);

// The container's capabilities (dockerd's TweakCapabilities), limited to host_caps.
Result<std::vector<std::string>> container_caps(const std::vector<std::string>& add, const std::vector<std::string>& drop,
                                                bool privileged, const std::vector<std::string>& host_caps);

}  // namespace berth::engine
