// --restart no|always|unless-stopped|on-failure[:N], as the docker client reads it (the
// daemon validates the policy).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"

namespace berth::cli {

Result<nlohmann::json> parse_restart_flag(const std::string& flag);

}  // namespace berth::cli
