// berth's runtime clamps a container's rlimits to what the host lets it set (a host without
// CAP_SYS_RESOURCE cannot raise a hard limit) and warns; runc refuses instead. For an external
// runtime the engine clamps the bundle's spec the same way before the runtime sees it.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace berth::engine {

// Clamps spec.process.rlimits; returns one note per limit it lowered.
std::vector<std::string> clamp_rlimits_to_host(nlohmann::json& spec);

}  // namespace berth::engine
