#include "engine/build/dockerignore.hpp"

#include <gtest/gtest.h>

using namespace berth::engine::build;

namespace {

Dockerignore ignore(std::string_view text) {
  auto d = Dockerignore::parse(text);
  EXPECT_TRUE(d) << d.error().message;
  return d ? std::move(*d) : Dockerignore{};
}

}  // namespace

TEST(Dockerignore, ReadingCleansPatterns) {
  auto d = ignore(
      "# comment\n"
      "\n"
      "  /abs/path  \n"
      "./rel\n"
      "a/../b/\n"
      " # not a comment once trimmed\n"
      "! keep\n"
      "x//y/.\n");
  EXPECT_EQ(d.patterns(),
            (std::vector<std::string>{"abs/path", "rel", "b", "# not a comment once trimmed", "!keep", "x/y"}));
  EXPECT_TRUE(d.excluded("abs/path"));
  EXPECT_TRUE(d.excluded("b"));
  EXPECT_TRUE(d.excluded("x/y/z"));
  EXPECT_FALSE(d.excluded("a"));
  EXPECT_EQ(clean_path("a//b/./c/.."), "a/b");
  EXPECT_EQ(clean_path("../a/../.."), "../..");
  EXPECT_EQ(clean_path("/../a"), "/a");
  EXPECT_EQ(clean_path(""), ".");
}

TEST(Dockerignore, GlobsAndDoubleStar) {
  auto d = ignore("*.go\n");
  EXPECT_TRUE(d.excluded("main.go"));
  EXPECT_FALSE(d.excluded("cmd/main.go"));  // * does not cross a /
  d = ignore("**/*.go\n");
  EXPECT_TRUE(d.excluded("main.go"));
  EXPECT_TRUE(d.excluded("cmd/x/main.go"));
  EXPECT_FALSE(d.excluded("main.c"));
  d = ignore("a/**/b\n");
  EXPECT_TRUE(d.excluded("a/b"));
  EXPECT_TRUE(d.excluded("a/x/y/b"));
  EXPECT_FALSE(d.excluded("a/xb"));
  d = ignore("**\n");
  EXPECT_TRUE(d.excluded("anything/at/all"));
  d = ignore("dir/**\n");
  EXPECT_TRUE(d.excluded("dir/x"));
  EXPECT_FALSE(d.excluded("dir"));
  d = ignore("?.txt\n[a-c]x\n[^a-z]y\n\\*lit\n");
  EXPECT_TRUE(d.excluded("a.txt"));
  EXPECT_FALSE(d.excluded("ab.txt"));
  EXPECT_TRUE(d.excluded("bx"));
  EXPECT_FALSE(d.excluded("dx"));
  EXPECT_TRUE(d.excluded("1y"));
  EXPECT_FALSE(d.excluded("ay"));
  EXPECT_TRUE(d.excluded("*lit"));
  EXPECT_FALSE(d.excluded("xlit"));
}

TEST(Dockerignore, DirectoriesAndExceptions) {
  auto d = ignore("dir\n!dir/keep\n");
  EXPECT_TRUE(d.excluded("dir"));
  EXPECT_TRUE(d.excluded("dir/other"));
  EXPECT_TRUE(d.excluded("dir/sub/deep"));
  EXPECT_FALSE(d.excluded("dir/keep"));
  EXPECT_FALSE(d.excluded("dirx"));
  EXPECT_TRUE(d.must_walk_excluded_dir("dir"));
  EXPECT_FALSE(d.must_walk_excluded_dir("other"));
  // The last matching pattern wins (Docker's README example).
  d = ignore("*.md\n!README*.md\nREADME-secret.md\n");
  EXPECT_TRUE(d.excluded("a.md"));
  EXPECT_FALSE(d.excluded("README.md"));
  EXPECT_TRUE(d.excluded("README-secret.md"));
  d = ignore("*\n!src\nsrc/*.tmp\n");
  EXPECT_TRUE(d.excluded("Makefile"));
  EXPECT_FALSE(d.excluded("src/a.c"));
  EXPECT_TRUE(d.excluded("src/a.tmp"));
}

TEST(Dockerignore, BuildFilesAreAlwaysSent) {
  auto d = ignore("*\n");
  EXPECT_EQ(d.build_files_to_remove("Dockerfile"), (std::vector<std::string>{".dockerignore", "Dockerfile"}));
  d.keep_build_files("./Dockerfile");
  EXPECT_FALSE(d.excluded("Dockerfile"));
  EXPECT_FALSE(d.excluded(".dockerignore"));
  EXPECT_TRUE(d.excluded("other"));
  auto sub = ignore("docker\n*.md\n");
  sub.keep_build_files("docker/Dockerfile.dev");
  EXPECT_FALSE(sub.excluded("docker/Dockerfile.dev"));
  EXPECT_TRUE(sub.excluded("docker/other"));
  EXPECT_TRUE(ignore("*.md\n").build_files_to_remove("Dockerfile").empty());
}

TEST(Dockerignore, BadPatternsNameTheLine) {
  auto r = Dockerignore::parse("ok\n[abc\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, ".dockerignore line 2: syntax error in pattern \"[abc\"");
  r = Dockerignore::parse("a\n\n!\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, ".dockerignore line 3: illegal exclusion pattern: \"!\"");
  EXPECT_FALSE(Dockerignore::parse("[z-a]\n"));
}

TEST(Dockerignore, PathologicalPatternsStayFast) {
  auto d = ignore("*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/x\n");
  std::string s(1000, 'a');
  EXPECT_FALSE(d.excluded(s));
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "d/";
  EXPECT_FALSE(d.excluded(deep + "y"));
  EXPECT_TRUE(d.excluded(deep + "x"));
}

TEST(Dockerignore, OverlongPatternsAndPathsAreBounded) {
  auto r = Dockerignore::parse("ok\n" + std::string(10000, 'a') + "\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, ".dockerignore line 2: pattern longer than 8192 bytes");
  auto d = ignore("**/x*y\n");
  EXPECT_FALSE(d.excluded(std::string(100000, 'x')));  // no real path is that long
  EXPECT_TRUE(d.excluded("a/xzy"));
}
