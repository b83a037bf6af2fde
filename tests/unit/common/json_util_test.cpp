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
