#include "runtime/spec/spec_fields.hpp"

namespace berth::runtime {

using nlohmann::json;

std::unexpected<Error> invalid(std::string_view path, std::string msg) {
  return fail(ErrorKind::Invalid, std::string(path) + ": " + msg);
}

Result<std::string> get_str(const json& o, const char* key, std::string_view path, bool required) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) {
    if (required) return invalid(std::string(path) + "." + key, "required field is missing");
    return std::string();
  }
  if (!it->is_string()) return fail(json_type_error(std::string(path) + "." + key, "string", *it));
  return it->get<std::string>();
}

Result<bool> get_bool(const json& o, const char* key, std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return false;
  if (!it->is_boolean()) return fail(json_type_error(std::string(path) + "." + key, "boolean", *it));
  return it->get<bool>();
}

Result<std::vector<std::string>> get_strs(const json& o, const char* key, std::string_view path) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return out;
  std::string p = std::string(path) + "." + key;
  if (!it->is_array()) return fail(json_type_error(p, "array of strings", *it));
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& e = (*it)[i];
    if (!e.is_string()) return fail(json_type_error(p + "[" + std::to_string(i) + "]", "string", e));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<const json*> get_obj(const json& o, const char* key, std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_object()) return fail(json_type_error(std::string(path) + "." + key, "object", *it));
  return &*it;
}

Result<const json*> get_arr(const json& o, const char* key, std::string_view path) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return static_cast<const json*>(nullptr);
  if (!it->is_array()) return fail(json_type_error(std::string(path) + "." + key, "array", *it));
  return &*it;
}

}  // namespace berth::runtime
