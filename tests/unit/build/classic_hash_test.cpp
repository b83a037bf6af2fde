// dockerd's classic COPY hash: the tarsum v1 header fields in their order, without mtime, with
// the context's tar-style mode (permission bits) or an image file's (type bits, host names).
#include "engine/build/classic_hash.hpp"

#include <gtest/gtest.h>

#include "image/digest.hpp"

using namespace berth::engine::build;

namespace {
struct stat file_stat(mode_t mode, off_t size, uid_t uid = 0) {
  struct stat st {};
  st.st_mode = mode;
  st.st_size = size;
  st.st_uid = st.st_gid = uid;
  return st;
}
}  // namespace

TEST(ClassicHash, ContextHeaderHasPermissionBitsAndNoNames) {
  EXPECT_EQ(classic_header("conf/x.conf", file_stat(S_IFREG | 0644, 10), "", HeaderStyle::Context),
            "nameconf/x.confmode420uid0gid0size10typeflag0linknameunamegnamedevmajor0devminor0");
  // A directory is named with a trailing slash and has no size.
  EXPECT_EQ(classic_header("conf", file_stat(S_IFDIR | 0755, 4096, 1234), "", HeaderStyle::Context),
            "nameconf/mode493uid1234gid1234size0typeflag5linknameunamegnamedevmajor0devminor0");
  EXPECT_EQ(classic_header("l", file_stat(S_IFLNK | 0777, 3), "a/b", HeaderStyle::Context),
            "namelmode511uid0gid0size0typeflag2linknamea/bunamegnamedevmajor0devminor0");
}

TEST(ClassicHash, ImageHeaderHasTypeBitsAndHostNames) {
  // uid 0 is root on every host.
  EXPECT_EQ(classic_header("src/app.sh", file_stat(S_IFREG | 04755, 20), "", HeaderStyle::Image),
            "namesrc/app.shmode35309uid0gid0size20typeflag0linknameunamerootgnamerootdevmajor0devminor0");
}

TEST(ClassicHash, ListsArePrefixedAndSortedWhenAsked) {
  auto plain = "dir:" + berth::image::Digest::of("a,b").hex();
  EXPECT_EQ(classic_hash_list("dir", {"b", "a"}, true), plain);
  EXPECT_EQ(classic_hash_list("multi", {"file:b", "file:a"}, false),
            "multi:" + berth::image::Digest::of("file:b,file:a").hex());
  EXPECT_EQ(classic_hash_list("dir", {}, true), "dir:" + berth::image::Digest::of("").hex());
}
