#include <gtest/gtest.h>

#include "image/safe_path.hpp"
#include "image/whiteout.hpp"

using namespace berth::image;

TEST(SafePath, CleansEntryNames) {
  EXPECT_EQ(*clean_entry_path("./a//b/"), "a/b");
  EXPECT_EQ(*clean_entry_path("."), "");
  EXPECT_EQ(*clean_entry_path("./"), "");
  EXPECT_EQ(*clean_entry_path("a/./b"), "a/b");
  auto abs = clean_entry_path("/etc/passwd");
  ASSERT_FALSE(abs);
  EXPECT_NE(abs.error().message.find("absolute path"), std::string::npos);
  auto up = clean_entry_path("a/../../b");
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().message.find("escapes the root"), std::string::npos);
  EXPECT_FALSE(clean_entry_path(".."));
  EXPECT_FALSE(clean_entry_path(std::string("a\0b", 3)));
}

TEST(SafePath, ParentAndBase) {
  EXPECT_EQ(parent_of("a/b/c"), "a/b");
  EXPECT_EQ(parent_of("a"), "");
  EXPECT_EQ(base_of("a/b/c"), "c");
  EXPECT_EQ(base_of("c"), "c");
}

TEST(Whiteout, Classifies) {
  EXPECT_EQ(classify_whiteout("file")->kind, WhiteoutKind::None);
  auto f = classify_whiteout(".wh.file");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, WhiteoutKind::File);
  EXPECT_EQ(f->target, "file");
  EXPECT_EQ(classify_whiteout(".wh..wh..opq")->kind, WhiteoutKind::Opaque);
  EXPECT_EQ(classify_whiteout(".wh..wh.plnk")->kind, WhiteoutKind::Meta);
  auto dots = classify_whiteout(".wh...");
  ASSERT_FALSE(dots);
  EXPECT_NE(dots.error().message.find("invalid target"), std::string::npos);
  EXPECT_FALSE(classify_whiteout(".wh."));
  EXPECT_FALSE(classify_whiteout(".wh.."));
}
