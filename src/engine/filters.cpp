#include "engine/filters.hpp"

#include <nlohmann/json.hpp>

#include "common/json_util.hpp"

namespace berth::engine {

Result<Filters> Filters::parse(std::string_view text, const std::set<std::string>& accepted) {
  Filters f;
  if (text.empty()) return f;
  auto j = parse_json(text, "filters");
  if (!j) return fail(j.error());
  if (!j->is_object()) return fail(json_type_error("filters", "object", *j));
  for (auto& [key, vals] : j->items()) {
    if (!accepted.count(key)) return fail(ErrorKind::Invalid, "invalid filter '" + key + "'");
    auto& set = f.values_[key];
    if (vals.is_object()) {
      for (auto& [v, on] : vals.items())
        if (!on.is_boolean()) return fail(json_type_error("filters." + key + "." + v, "boolean", on));
        else if (on.get<bool>()) set.insert(v);
    } else if (vals.is_array()) {
      for (auto& v : vals) {
        if (!v.is_string()) return fail(json_type_error("filters." + key, "array of strings", vals));
        set.insert(v.get<std::string>());
      }
    } else {
      return fail(json_type_error("filters." + key, "object or array", vals));
    }
  }
  return f;
}

const std::set<std::string>& Filters::get(const std::string& key) const {
  static const std::set<std::string> none;
  auto it = values_.find(key);
  return it == values_.end() ? none : it->second;
}

bool Filters::match(const std::string& key, const std::string& v) const {
  auto it = values_.find(key);
  return it == values_.end() || it->second.empty() || it->second.count(v) > 0;
}

bool Filters::match_labels(const std::string& key, const std::map<std::string, std::string>& labels) const {
  for (const auto& want : get(key)) {
    auto eq = want.find('=');
    auto it = labels.find(want.substr(0, eq));
    if (it == labels.end()) return false;
    if (eq != std::string::npos && it->second != want.substr(eq + 1)) return false;
  }
  return true;
}

Result<std::optional<bool>> Filters::get_bool(const std::string& key) const {
  const auto& vals = get(key);
  if (vals.empty()) return std::optional<bool>{};
  std::optional<bool> out;
  for (const auto& v : vals) {
    bool b;
    if (v == "true" || v == "1") b = true;
    else if (v == "false" || v == "0") b = false;
    else {
      // dockerd prints the values as Go prints a []string: "invalid filter 'dangling=[maybe]'".
      std::string all;
      for (const auto& x : vals) all += (all.empty() ? "" : " ") + x;
      return fail(ErrorKind::Invalid, "invalid filter '" + key + "=[" + all + "]'");
    }
    if (out && *out != b) return fail(ErrorKind::Invalid, "invalid filter '" + key + "': conflicting values");
    out = b;
  }
  return out;
}

}  // namespace berth::engine
