// The layer applier as docker cp's PUT uses it: the whole archive checked before anything is
// written, no directory replaced by a file (or the reverse) when asked, a forced owner, and
// entries named as asked when a single entry is archived.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/fd.hpp"
#include "image/layer_apply.hpp"
#include "image/layer_diff.hpp"
#include "tar_builder.hpp"

using namespace berth::image;
using berth::UniqueFd;
using test::TarBuilder;
namespace fs = std::filesystem;

namespace {

berth::Result<ApplyResult> extract(const std::string& tar, const std::string& dir, ApplyOptions o) {
  UniqueFd fd(test::memfd_of(tar));
  UniqueFd d(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  o.overlay_whiteouts = false;
  o.validate_first = true;
  return apply_layer_at(fd.get(), d.get(), o);
}

}  // namespace

TEST(ArchiveExtract, BadEntryAnywhereMeansNothingWritten) {
  for (auto& tar : {TarBuilder().file("ok", "x").file("../escape", "x").finish(),
                    TarBuilder().file("ok", "x").file("/abs", "x").finish(),
                    TarBuilder().file("ok", "x").symlink("l", "/").file("l/etc/x", "x").finish(),
                    TarBuilder().file("ok", "x").hardlink("h", "../../etc/passwd").finish(),
                    TarBuilder().file("ok", "x").file("d/.wh.gone", "").finish()}) {
    test::TmpDir t;
    auto r = extract(tar, t.path, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, berth::ErrorKind::Invalid) << r.error().what();
    EXPECT_TRUE(fs::is_empty(t.path)) << "written before the bad entry was seen";
  }
}

TEST(ArchiveExtract, NoOverwriteDirNonDir) {
  test::TmpDir t;
  fs::create_directories(t.path + "/dir");
  std::ofstream(t.path + "/file") << "keep";
  ApplyOptions o;
  o.no_overwrite_dir_non_dir = true;
  auto a = extract(TarBuilder().file("dir", "x").finish(), t.path, o);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().what().find("cannot overwrite directory"), std::string::npos) << a.error().what();
  auto b = extract(TarBuilder().dir("file").finish(), t.path, o);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().what().find("cannot overwrite non-directory"), std::string::npos) << b.error().what();
  EXPECT_TRUE(fs::is_directory(t.path + "/dir"));
  // Without the option a file replaces a file, and merging into a directory is always fine.
  ASSERT_TRUE(extract(TarBuilder().file("file", "new").dir("dir").file("dir/in", "x").finish(), t.path, o));
  std::ifstream f(t.path + "/file");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(s, "new");
}

TEST(ArchiveExtract, ForcedOwner) {
  test::TmpDir t;
  ApplyOptions o;
  o.chown = std::make_pair(4321u, 8765u);
  ASSERT_TRUE(extract(TarBuilder().dir("d", 0755, 1, 2).file("d/f", "x", 0600, 3, 4).finish(), t.path, o));
  struct stat st;
  ASSERT_EQ(lstat((t.path + "/d/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4321u);
  EXPECT_EQ(st.st_gid, 8765u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(ArchiveExtract, EntryTarIsRenamedAndNeverFollowsLinks) {
  test::TmpDir t;
  fs::create_directories(t.path + "/src/sub");
  std::ofstream(t.path + "/src/sub/f") << "data";
  fs::create_symlink("/etc", t.path + "/src/etc-link");
  UniqueFd dir(::open(t.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string tar;
  DiffOptions d;
  d.overlay_whiteouts = false;
  auto r = write_entry_tar(dir.get(), "src", "renamed", [&](std::string_view b) -> berth::Result<> {
    tar.append(b);
    return {};
  }, d);
  ASSERT_TRUE(r) << r.error().what();
  fs::create_directories(t.path + "/out");
  ASSERT_TRUE(extract(tar, t.path + "/out", {}));
  EXPECT_TRUE(fs::exists(t.path + "/out/renamed/sub/f"));
  EXPECT_TRUE(fs::is_symlink(t.path + "/out/renamed/etc-link"));
  EXPECT_FALSE(fs::exists(t.path + "/out/renamed/etc-link/passwd") && !fs::is_symlink(t.path + "/out/renamed/etc-link"));
}
