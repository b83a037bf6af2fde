// `docker ps` rows: the fields docker's container formatter offers to --format ({{.ID}},
// {{.Image}}, {{.Command}}, {{.RunningFor}}, {{.Status}}, {{.Size}}, ...), computed from one
// entry of GET /containers/json, and the default table layout.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace berth::cli {

// s cut to max characters (UTF-8 code points) with a trailing "…", as docker's Ellipsis.
std::string ellipsis(std::string_view s, size_t max);
// Go's strconv.Quote for the printable text docker puts in the COMMAND column.
std::string go_quote(std::string_view s);
// "0B (virtual 1.98MB)": the SIZE column.
std::string size_column(int64_t size_rw, int64_t size_root_fs);
// The formatter's fields for one container; trunc as without --no-trunc; now in unix seconds.
nlohmann::json ps_row(const nlohmann::json& c, bool trunc, int64_t now);
// docker's default `ps` table, with the SIZE column for -s.
std::string ps_default_format(bool size);
// Column titles of the ps table ("ID" -> "CONTAINER ID").
const std::map<std::string, std::string>& ps_headers();

}  // namespace berth::cli
