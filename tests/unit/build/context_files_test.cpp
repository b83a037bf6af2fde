#include "engine/build/context_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../image/tar_builder.hpp"

using namespace berth::engine::build;
namespace fs = std::filesystem;

namespace {

struct Context {
  berth::image::test::TmpDir tmp;
  Context() {
    for (const char* f : {"Dockerfile", ".dockerignore", "a.md", "README.md", "src/main.c", "src/main.o",
                          "build/out.bin", "build/keep/me.txt", "node_modules/x/index.js"}) {
      fs::create_directories(fs::path(tmp.path + "/" + f).parent_path());
      std::ofstream(tmp.path + "/" + f) << f;
    }
    fs::create_directory_symlink("/etc", tmp.path + "/etc-link");
  }
  std::vector<std::string> files(std::string_view ignore_text, std::string_view dockerfile = "Dockerfile") {
    auto ig = Dockerignore::parse(ignore_text);
    EXPECT_TRUE(ig) << ig.error().message;
    ig->keep_build_files(dockerfile);
    auto r = context_files(tmp.path, *ig);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : std::vector<std::string>{};
  }
};

}  // namespace

TEST(ContextFiles, EverythingWithoutADockerignore) {
  Context c;
  auto f = c.files("");
  EXPECT_EQ(f, (std::vector<std::string>{".dockerignore", "Dockerfile", "README.md", "a.md", "build", "build/keep",
                                         "build/keep/me.txt", "build/out.bin", "etc-link", "node_modules",
                                         "node_modules/x", "node_modules/x/index.js", "src", "src/main.c",
                                         "src/main.o"}));
}

TEST(ContextFiles, IgnoredPathsExceptionsAndBuildFiles) {
  Context c;
  auto f = c.files("*\n!src\nsrc/*.o\n!build/keep\n");
  // The Dockerfile and .dockerignore are always sent; "build" is entered for its exception but
  // not sent itself; nothing below the symlink is walked.
  EXPECT_EQ(f, (std::vector<std::string>{".dockerignore", "Dockerfile", "build/keep", "build/keep/me.txt", "src",
                                         "src/main.c"}));
  f = c.files("**/*.md\nnode_modules\n");
  EXPECT_EQ(std::ranges::count(f, "README.md"), 0);
  EXPECT_EQ(std::ranges::count(f, "node_modules"), 0);
  EXPECT_EQ(std::ranges::count(f, "node_modules/x/index.js"), 0);
  EXPECT_EQ(std::ranges::count(f, "src/main.o"), 1);
}

TEST(ContextFiles, MissingDirectoryIsAnError) {
  auto r = context_files("/nonexistent-berth-context", Dockerignore{});
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("walk build context .: ")) << r.error().message;
}
