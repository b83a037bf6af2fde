// Typed access to JSON with errors that name the field: "process.args: expected array of strings".
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::json {

using nlohmann::json;

Result<json> parse(std::string_view text, std::string_view what);
std::string type_name(const json& j);
Error type_error(std::string_view path, std::string_view expected, const json& got);

}  // namespace berth::json
