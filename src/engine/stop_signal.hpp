// Signals as the API names them (docker kill -s, stop -s, --stop-signal, the image's
// StopSignal) and how a container is stopped: its stop signal and timeout.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine {

// "KILL", "SIGKILL", "sigusr1", "9" -> the number; anything else is dockerd's 400
// "Invalid signal: X".
Result<int> parse_api_signal(std::string_view s);

inline constexpr int kDefaultStopTimeout = 10;  // seconds, as dockerd

// The merged container Config's StopSignal (SIGTERM when unset) and StopTimeout (10 s when
// unset; negative waits forever).
Result<int> container_stop_signal(const nlohmann::json& config);
int container_stop_timeout(const nlohmann::json& config);

}  // namespace berth::engine
