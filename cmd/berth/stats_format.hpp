// `docker stats` rows from the stats endpoint's JSON: CPU % from the two CPU samples, memory
// without the page cache (inactive_file, as docker subtracts it), net and block I/O, PIDs.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace berth::cli {

// go-units BytesSize: "1.5MiB" (powers of 1024, 4 significant digits).
std::string bytes_size(double bytes);
// The formatter's fields for one stats body; container: the name or ID the user gave.
nlohmann::json stats_row(const nlohmann::json& stats, const std::string& container, bool trunc);
std::string stats_default_format();
const std::map<std::string, std::string>& stats_headers();

}  // namespace berth::cli
