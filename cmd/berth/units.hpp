// Docker's human units: "1.99MB" (powers of 1000) and "2 hours ago".
#pragma once
#include <cstdint>
#include <string>

namespace berth::cli {

std::string human_size(int64_t bytes);
// go-units HumanDuration of now - unix_seconds, with " ago".
std::string time_ago(int64_t unix_seconds);
// "2026-01-02 15:04:05 +0000 UTC" as Go prints a time.Time.
std::string go_time(int64_t unix_seconds);

}  // namespace berth::cli
