// Docker's "filters" query parameter: a JSON map from a key to its values, sent either as
// {"key": {"value": true}} (current clients) or {"key": ["value"]} (old ones).
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

class Filters {
 public:
  // Empty text is no filter. Keys outside `accepted` are dockerd's 400 "invalid filter 'key'".
  static Result<Filters> parse(std::string_view json_text, const std::set<std::string>& accepted);
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  const std::set<std::string>& get(const std::string& key) const;
  // True when key is absent or one of its values equals v.
  bool match(const std::string& key, const std::string& v) const;
  // "label" filters: each value "k" or "k=v" must hold in labels.
  bool match_labels(const std::string& key, const std::map<std::string, std::string>& labels) const;
  // The single boolean value of key ("dangling"), or an invalid-filter error for other values.
  Result<std::optional<bool>> get_bool(const std::string& key) const;
  void add(const std::string& key, const std::string& value) { values_[key].insert(value); }
  bool empty() const { return values_.empty(); }

 private:
  std::map<std::string, std::set<std::string>> values_;
};

}  // namespace berth::engine
