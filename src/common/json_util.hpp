// Typed access to JSON with errors that name the field: "process.args: expected array of strings".
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/error.hpp"

namespace berth {

// Parses text; a syntax error becomes "<what>: invalid JSON: <where and why>".
Result<nlohmann::json> parse_json(std::string_view text, std::string_view what);
Error json_type_error(std::string_view path, std::string_view expected, const nlohmann::json& got);
// obj[key] when it is a boolean; fallback when obj is no object, or key is absent, null or of
// another type (clients send null for "unset").
bool json_flag(const nlohmann::json& obj, const char* key, bool fallback = false);
// obj[key] unless obj is no object or key is absent or null.
const nlohmann::json* json_field(const nlohmann::json& obj, const char* key);
// obj[key] when it is a string; fallback otherwise (the same reasons).
std::string json_string(const nlohmann::json& obj, const char* key, const std::string& fallback = "");

}  // namespace berth
