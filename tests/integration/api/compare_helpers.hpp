// What the side-by-side tests (berthd and a private dockerd) compare with: messages without
// IDs, and JSON documents by their keys and types.
#pragma once
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace berth::api::test {

// IDs (full and short) out of a message.
inline std::string no_ids(const std::string& s) {
  static const std::regex full("[0-9a-f]{64}"), short_id("\\b[0-9a-f]{12}\\b");
  return std::regex_replace(std::regex_replace(s, full, "<id>"), short_id, "<id>");
}

// Every key dockerd prints is in berth's object with the same JSON type. berth may print more
// (it speaks API 1.50, Debian's dockerd 1.41), and an empty Go slice or map that one side prints
// as null and the other as [] or {} counts as the same type.
inline void expect_keys_of(const nlohmann::json& b, const nlohmann::json& d, const std::string& where) {
  ASSERT_TRUE(b.is_object()) << where;
  for (auto& [k, v] : d.items()) {
    if (!b.contains(k)) {
      ADD_FAILURE() << where << "." << k << " is missing";
      continue;
    }
    const nlohmann::json& mine = b[k];
    bool null_vs_empty = (v.is_null() && (mine.is_array() || mine.is_object())) ||
                         (mine.is_null() && (v.is_array() || v.is_object()));
    if (mine.type() != v.type() && !null_vs_empty)
      ADD_FAILURE() << where << "." << k << ": berth " << mine.type_name() << ", dockerd " << v.type_name();
  }
}

}  // namespace berth::api::test
