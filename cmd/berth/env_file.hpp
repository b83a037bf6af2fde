// docker's --env-file: one VAR=value a line; a bare VAR takes the value from our environment (and
// is skipped when unset); blank lines and lines starting with '#' are ignored.
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::cli {

std::vector<std::string> parse_env_file(std::string_view text);
Result<std::vector<std::string>> read_env_file(const std::string& path);

}  // namespace berth::cli
