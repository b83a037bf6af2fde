// Capability names and the five sets. Resolved in the parent (so unknown names fail early,
// and capabilities the runtime itself cannot grant are dropped with a warning), applied in the child.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::runtime {

struct CapSets {
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

Result<int> cap_from_name(std::string_view name);  // "CAP_SYS_ADMIN" -> 21
std::string cap_name(int cap);
int cap_last();  // highest capability the kernel knows
std::vector<std::string> all_cap_names();

// Names -> bitmasks. Capabilities missing from this process's bounding set (for example
// CAP_SYS_RESOURCE on hosts that drop it) are removed and listed in `dropped`.
Result<CapSets> resolve_capabilities(const Capabilities& caps, std::vector<std::string>* dropped);

// Child side, in order: drop_bounding before changing uid (keeps caps across setuid),
// apply after setuid.
Result<> caps_drop_bounding(const CapSets& s);
Result<> caps_apply(const CapSets& s);

}  // namespace berth::runtime
