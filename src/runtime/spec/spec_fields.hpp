// Readers for config.json's fields (the spec and its seccomp profile): absent or null gives the
// default, a wrong type an error naming the field's path ("process.args: expected array, got string").
#pragma once
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/error.hpp"
#include "common/json_util.hpp"

namespace berth::runtime {

std::unexpected<Error> invalid(std::string_view path, std::string msg);

Result<std::string> get_str(const nlohmann::json& o, const char* key, std::string_view path, bool required = false);
Result<bool> get_bool(const nlohmann::json& o, const char* key, std::string_view path);
Result<std::vector<std::string>> get_strs(const nlohmann::json& o, const char* key, std::string_view path);
// The object or array at key, nullptr when absent.
Result<const nlohmann::json*> get_obj(const nlohmann::json& o, const char* key, std::string_view path);
Result<const nlohmann::json*> get_arr(const nlohmann::json& o, const char* key, std::string_view path);

// An integer that fits Int (negative values refused for unsigned types).
template <class Int>
Result<std::optional<Int>> get_int(const nlohmann::json& o, const char* key, std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::optional<Int>();
  std::string p = std::string(path) + "." + key;
  if (!it->is_number_integer()) return fail(json_type_error(p, "integer", *it));
  if constexpr (std::is_unsigned_v<Int>) {
    if (it->is_number_unsigned()) {
      auto v = it->template get<uint64_t>();
      if (v > std::numeric_limits<Int>::max()) return invalid(p, "value out of range");
      return std::optional<Int>(static_cast<Int>(v));
    }
    auto v = it->template get<int64_t>();
    if (v < 0) return invalid(p, "must not be negative");
    if (static_cast<uint64_t>(v) > std::numeric_limits<Int>::max()) return invalid(p, "value out of range");
    return std::optional<Int>(static_cast<Int>(v));
  } else {
    if (it->is_number_unsigned() && it->template get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<Int>::max()))
      return invalid(p, "value out of range");
    auto v = it->template get<int64_t>();
    if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max())
      return invalid(p, "value out of range");
    return std::optional<Int>(static_cast<Int>(v));
  }
}

}  // namespace berth::runtime
