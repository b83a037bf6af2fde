// Container identities as dockerd makes them: 64 lower-case hex IDs (never all digits in the
// 12-character short form, which would read as a number), names matching
// [a-zA-Z0-9][a-zA-Z0-9_.-]+ stored with a leading '/', and generated names when none is given.
#pragma once
#include <string>

#include "common/error.hpp"

namespace berth::engine {

std::string generate_id();
bool is_full_id(std::string_view s);
// "x" or "/x" -> "/x"; dockerd's 400 message for anything else.
Result<std::string> normalize_name(std::string_view name);
// "adjective_surname" style, as Docker's generator picks (the caller retries on a clash).
std::string generate_name();

}  // namespace berth::engine
