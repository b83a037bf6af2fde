// Go's time.ParseDuration, as docker parses --health-interval and friends: "30s", "1m30s",
// "1.5h", "500ms", "10us", "0" (units ns, us/µs, ms, s, m, h; a sign; no bare numbers but 0).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::cli {

std::optional<int64_t> parse_go_duration(std::string_view s);  // nanoseconds

}  // namespace berth::cli
