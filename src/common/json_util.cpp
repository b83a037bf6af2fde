#include "common/json_util.hpp"

#include <nlohmann/json.hpp>

namespace berth {

Result<nlohmann::json> parse_json(std::string_view text, std::string_view what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string m = e.what();
    auto p = m.find("] ");
    if (p != std::string::npos) m = m.substr(p + 2);
    return fail(ErrorKind::Invalid, std::string(what) + ": invalid JSON: " + m);
  }
}

Error json_type_error(std::string_view path, std::string_view expected, const nlohmann::json& got) {
  return make_error(ErrorKind::Invalid,
                    std::string(path) + ": expected " + std::string(expected) + ", got " + got.type_name());
}

bool json_flag(const nlohmann::json& obj, const char* key, bool fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string json_string(const nlohmann::json& obj, const char* key, const std::string& fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

const nlohmann::json* json_field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace berth
