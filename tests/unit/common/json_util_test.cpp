#include "common/json_util.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

TEST(JsonUtil, FlagIsTheBooleanOrTheFallback) {
  auto j = nlohmann::json::parse(R"({"t": true, "f": false, "n": null, "s": "true"})");
  EXPECT_TRUE(berth::json_flag(j, "t"));
  EXPECT_FALSE(berth::json_flag(j, "f", true));
  EXPECT_TRUE(berth::json_flag(j, "n", true)) << "null is unset";
  EXPECT_FALSE(berth::json_flag(j, "s"));
  EXPECT_FALSE(berth::json_flag(j, "missing"));
  EXPECT_TRUE(berth::json_flag(nlohmann::json::array(), "t", true));
  EXPECT_FALSE(j.contains("missing")) << "looking does not insert";
}

TEST(JsonUtil, StringIsTheStringOrTheFallback) {
  auto j = nlohmann::json::parse(R"({"s": "x", "n": null, "i": 3})");
  EXPECT_EQ(berth::json_string(j, "s"), "x");
  EXPECT_EQ(berth::json_string(j, "n", "d"), "d") << "null is unset";
  EXPECT_EQ(berth::json_string(j, "i"), "");
  EXPECT_EQ(berth::json_string(j, "missing", "d"), "d");
  EXPECT_EQ(berth::json_string(nullptr, "s"), "");
}
