// A volume as dockerd shows it (inspect, list, system df).
#pragma once
#include <nlohmann/json.hpp>

#include "engine/volume_service.hpp"

namespace berth::api {

// with_usage adds UsageData {Size, RefCount} (system df); -1 size as dockerd when not computed.
nlohmann::json volume_json(const engine::VolumeRecord& v, engine::VolumeService& vs, bool with_usage = false);

}  // namespace berth::api
