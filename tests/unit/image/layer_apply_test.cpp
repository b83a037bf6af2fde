#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/fd.hpp"
#include "image/content_store.hpp"
#include "image/layer_apply.hpp"
#include "image/layer_diff.hpp"
#include "tar_builder.hpp"

using namespace berth::image;
using berth::UniqueFd;
using test::TarBuilder;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A layer root inside a sandbox dir, so "outside" is something the test can look at.
struct Sandbox {
  test::TmpDir tmp;
  std::string root = tmp.path + "/root";
  std::string outside = tmp.path + "/outside";
  Sandbox() {
    fs::create_directories(root);
    fs::create_directories(outside);
    std::ofstream(outside + "/secret") << "keep";
  }
  berth::Result<ApplyResult> apply(const std::string& tar, ApplyOptions o = {}) {
    UniqueFd fd(test::memfd_of(tar));
    return apply_layer(fd.get(), root, o);
  }
  // Everything outside the root is as the test left it.
  void expect_outside_untouched() {
    EXPECT_EQ(slurp(outside + "/secret"), "keep");
    size_t n = 0;
    for (auto& e : fs::directory_iterator(tmp.path)) {
      (void)e;
      ++n;
    }
    EXPECT_EQ(n, 2u) << "something was created next to the root";
    EXPECT_EQ(std::distance(fs::directory_iterator(outside), {}), 1);
  }
};

}  // namespace

TEST(LayerApply, UnpacksAllKindsWithMetadata) {
  Sandbox s;
  std::string tar = TarBuilder()
                        .dir("etc", 0755)
                        .file("etc/hosts", "127.0.0.1 x\n", 0640, 1000, 1001, {{"user.test", "v1"}})
                        .file("bin/tool", "#!/bin/sh\n", 04755)
                        .symlink("bin/sh", "tool")
                        .hardlink("bin/tool2", "bin/tool")
                        .chardev("dev/null", 1, 3)
                        .fifo("run/fifo")
                        .finish();
  auto r = s.apply(tar);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->diff_id, Digest::of(tar));
  EXPECT_EQ(r->blob_digest, Digest::of(tar));
  struct stat st;
  ASSERT_EQ(stat((s.root + "/etc/hosts").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  char v[8] = {};
  EXPECT_EQ(getxattr((s.root + "/etc/hosts").c_str(), "user.test", v, sizeof v), 2);
  EXPECT_STREQ(v, "v1");
  ASSERT_EQ(stat((s.root + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(fs::read_symlink(s.root + "/bin/sh"), "tool");
  ASSERT_EQ(lstat((s.root + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  ASSERT_EQ(lstat((s.root + "/run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(LayerApply, GzipAndZstdGiveTheSameDiffId) {
  auto build = [](TarBuilder::Compression c) {
    return TarBuilder(c).dir("a").file("a/f", std::string(100000, 'x')).finish();
  };
  std::string plain = build(TarBuilder::Compression::None);
  for (auto c : {TarBuilder::Compression::Gzip, TarBuilder::Compression::Zstd}) {
    Sandbox s;
    std::string blob = build(c);
    ASSERT_NE(blob, plain);
    auto r = s.apply(blob, {.expected_diff_id = Digest::of(plain), .expected_blob_digest = Digest::of(blob)});
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r->diff_id, Digest::of(plain));
    EXPECT_EQ(r->blob_digest, Digest::of(blob));
    EXPECT_EQ(fs::file_size(s.root + "/a/f"), 100000u);
  }
}

TEST(LayerApply, WhiteoutsBecomeOverlayWhiteouts) {
  Sandbox s;
  auto r = s.apply(TarBuilder().dir("d").file("d/.wh.gone", "").dir("o").file("o/.wh..wh..opq", "").finish());
  ASSERT_TRUE(r) << r.error().what();
  struct stat st;
  ASSERT_EQ(lstat((s.root + "/d/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(s.root + "/d/.wh.gone"));
  char v[4] = {};
  EXPECT_EQ(getxattr((s.root + "/o").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(fs::exists(s.root + "/o/.wh..wh..opq"));
}

TEST(LayerApply, DiffRoundTripsWhiteoutsLinksAndXattrs) {
  Sandbox s;
  std::string tar = TarBuilder()
                        .dir("d")
                        .file("d/.wh.gone", "")
                        .dir("o")
                        .file("o/.wh..wh..opq", "")
                        .file("o/f", "data", 0600, 5, 6, {{"user.k", "val"}})
                        .hardlink("o/g", "o/f")
                        .symlink("l", "/abs/target")
                        .finish();
  ASSERT_TRUE(s.apply(tar));
  std::string out;
  auto d = write_layer_tar(s.root, [&](std::string_view b) -> berth::Result<> {
    out.append(b);
    return {};
  });
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(d->diff_id, Digest::of(out));
  // Unpacking berth's own diff reproduces the same tree.
  Sandbox s2;
  auto r = s2.apply(out);
  ASSERT_TRUE(r) << r.error().what();
  struct stat st;
  ASSERT_EQ(lstat((s2.root + "/d/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  char v[4] = {};
  EXPECT_EQ(getxattr((s2.root + "/o").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  ASSERT_EQ(stat((s2.root + "/o/g").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_EQ(st.st_uid, 5u);
  EXPECT_EQ(getxattr((s2.root + "/o/f").c_str(), "user.k", v, sizeof v), 3);
  EXPECT_EQ(fs::read_symlink(s2.root + "/l"), "/abs/target");
  // And writing it again gives identical bytes.
  std::string again;
  ASSERT_TRUE(write_layer_tar(s2.root, [&](std::string_view b) -> berth::Result<> {
    again.append(b);
    return {};
  }));
  EXPECT_EQ(Digest::of(again), d->diff_id);
}

TEST(LayerApply, LaterEntryReplacesEarlier) {
  Sandbox s;
  ASSERT_TRUE(s.apply(TarBuilder().file("x", "one").file("x", "two").dir("y").file("y/z", "").file("y", "f").finish()));
  EXPECT_EQ(slurp(s.root + "/x"), "two");
  EXPECT_TRUE(fs::is_regular_file(s.root + "/y"));
}

// Hostile layers: each is refused with an error that says why, and nothing lands outside.
struct Hostile {
  const char* name;
  std::string tar;
  const char* message;
};


TEST(LayerApplyHostile, EachIsRefusedAndNothingEscapes) {
  std::vector<Hostile> cases = {
      {"dotdot traversal", TarBuilder().file("../outside/secret", "pwned").finish(), "escapes the root"},
      {"deep dotdot", TarBuilder().file("a/../../outside/x", "pwned").finish(), "escapes the root"},
      {"absolute path", TarBuilder().file("/tmp/berth-pwned", "pwned").finish(), "absolute path"},
      {"escaping symlink then write through it",
       TarBuilder().symlink("evil", "../outside").file("evil/secret", "pwned").finish(), "escapes the root"},
      {"absolute symlink then write through it",
       TarBuilder().symlink("evil", "/").file("evil/tmp/berth-pwned", "pwned").finish(), "escapes the root"},
      {"hard link to a file outside", TarBuilder().hardlink("link", "../outside/secret").finish(), "escapes the root"},
      {"hard link through escaping symlink",
       TarBuilder().symlink("evil", "../outside").hardlink("link", "evil/secret").finish(), "escapes the root"},
      {"whiteout of ..", TarBuilder().dir("a").file("a/.wh..", "").finish(), "invalid target"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    Sandbox s;
    auto r = s.apply(c.tar);
    ASSERT_FALSE(r) << "applied a hostile layer";
    EXPECT_NE(r.error().what().find(c.message), std::string::npos) << r.error().what();
    s.expect_outside_untouched();
    EXPECT_FALSE(fs::exists("/tmp/berth-pwned"));
  }
}

TEST(LayerApply, WrongDiffIdAndTruncatedBlobAreRefused) {
  std::string tar = TarBuilder(TarBuilder::Compression::Gzip).file("f", std::string(50000, 'q')).finish();
  {
    Sandbox s;
    ApplyOptions o;
    o.expected_diff_id = Digest::of("other");
    auto r = s.apply(tar, o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("diff ID mismatch"), std::string::npos);
  }
  {
    Sandbox s;
    auto r = s.apply(tar.substr(0, tar.size() / 2));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("apply layer"), std::string::npos) << r.error().message;
  }
  {
    Sandbox s;
    auto r = s.apply("this is not a tar archive at all, just text. " + std::string(600, 'z'));
    ASSERT_FALSE(r);
  }
}

TEST(LayerApply, DecompressOnlyHashesAndCopies) {
  std::string plain = TarBuilder().file("f", "abc").finish();
  std::string gz = TarBuilder(TarBuilder::Compression::Gzip).file("f", "abc").finish();
  MemoryContentStore store;
  auto w = *store.writer();
  UniqueFd fd(test::memfd_of(gz));
  auto r = decompress_layer(fd.get(), w.get());
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->diff_id, Digest::of(plain));
  EXPECT_EQ(r->blob_digest, Digest::of(gz));
  ASSERT_TRUE(w->commit(r->diff_id));
  EXPECT_EQ(*store.read(r->diff_id), plain);
}
