// Durations written as Go's time.ParseDuration reads them ("30s", "1m30s", "1.5h", "250ms"):
// HEALTHCHECK's --interval, --timeout, --start-period and --start-interval.
#pragma once
#include <chrono>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine::build {

// Errors read as Go's: time: invalid duration "x", time: missing unit in duration "1".
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view s);

}  // namespace berth::engine::build
