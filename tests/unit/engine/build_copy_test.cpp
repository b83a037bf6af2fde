#include "engine/build_copy.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../image/tar_builder.hpp"
#include "common/fd.hpp"

using namespace berth::engine;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& p, const std::string& data, mode_t mode = 0644) {
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p) << data;
  ::chmod(p.c_str(), mode);
}

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Copy {
  berth::image::test::TmpDir tmp;
  std::string ctx = tmp.path + "/ctx", staging = tmp.path + "/staging";
  Copy() {
    fs::create_directories(ctx);
    fs::create_directories(staging);
  }
  berth::Result<> run(const std::vector<std::string>& sources, const std::string& dest, const CopyOwnership& own = {}) {
    berth::UniqueFd root(::open(ctx.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto src = build::resolve_copy_sources(root.get(), sources, dest, "/");
    if (!src) return std::unexpected(src.error());
    return stage_copy(root.get(), *src, staging, own);
  }
};

}  // namespace

TEST(BuildCopy, ChmodIsOctalOnly) {
  EXPECT_EQ(parse_chmod("755").value(), 0755u);
  EXPECT_EQ(parse_chmod("0644").value(), 0644u);
  for (const char* bad : {"", "8", "u+x", "07777a", "12345"}) {
    auto r = parse_chmod(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("--chmod"), std::string::npos);
  }
}

TEST(BuildCopy, FilesDirectoriesAndSymlinksLandWithOwnerAndMode) {
  Copy c;
  write_file(c.ctx + "/dir/a.sh", "#!/bin/sh\n", 0750);
  write_file(c.ctx + "/dir/sub/b.txt", "b\n", 0600);
  fs::create_symlink("a.sh", c.ctx + "/dir/link");
  CopyOwnership own;
  own.uid = 1234;
  own.gid = 99;
  ASSERT_TRUE(c.run({"dir"}, "/app/", own));
  struct stat st;
  ASSERT_EQ(::stat((c.staging + "/app/a.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 99u);
  EXPECT_EQ(slurp(c.staging + "/app/sub/b.txt"), "b\n");
  ASSERT_EQ(::lstat((c.staging + "/app/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(fs::read_symlink(c.staging + "/app/link"), "a.sh");

  CopyOwnership mode;
  mode.mode = 0444;
  ASSERT_TRUE(c.run({"dir/sub/b.txt"}, "/etc/b", mode));
  ASSERT_EQ(::stat((c.staging + "/etc/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_EQ(st.st_uid, 0u);
}

// An earlier source's directory holds a symlink x -> "/" that lands at /dst/x; a later one has
// x/evil. Writing through the symlink would write on the host: it must stay in the staging tree.
TEST(BuildCopy, SymlinkFromAnEarlierSourceDoesNotLeadOut) {
  Copy c;
  std::string victim = c.tmp.path + "/victim";
  fs::create_directories(victim);
  fs::create_directories(c.ctx + "/links");
  fs::create_symlink("/", c.ctx + "/links/x");
  fs::create_symlink(victim, c.ctx + "/links/y");  // absolute, to a directory outside the staging tree
  write_file(c.ctx + "/d/x/evil", "owned\n");
  write_file(c.ctx + "/d/y/evil", "owned\n");
  auto r = c.run({"links", "d"}, "/dst/");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(fs::exists("/evil"));
  EXPECT_FALSE(fs::exists(victim + "/evil"));
  EXPECT_EQ(slurp(c.staging + "/dst/x/evil"), "owned\n");
  EXPECT_EQ(slurp(c.staging + "/dst/y/evil"), "owned\n");
}

TEST(BuildCopy, HeredocsAreFilesNamedAfterThemBelowADirectoryDest) {
  Copy c;
  build::Heredoc a{"a.txt", "one\n"}, b{"b.txt", "two\n"};
  ASSERT_TRUE(stage_heredocs({a, b}, "conf", "/app", c.staging, {}));
  EXPECT_EQ(slurp(c.staging + "/app/conf/a.txt"), "one\n");
  EXPECT_EQ(slurp(c.staging + "/app/conf/b.txt"), "two\n");
  ASSERT_TRUE(stage_heredocs({a}, "/motd", "/", c.staging, {}));
  EXPECT_EQ(slurp(c.staging + "/motd"), "one\n");
  struct stat st;
  ASSERT_EQ(::stat((c.staging + "/motd").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}
