// docker cp's path handling: the stat header as dockerd encodes it, and resolution inside a
// root full of hostile symlinks (absolute, "../..", loops) that must never leave it.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/path_in_root.hpp"
#include "image/http.hpp"

using namespace berth::engine;
namespace fs = std::filesystem;

namespace {

struct Root {
  std::string tmp, root;
  berth::UniqueFd fd;
  Root() {
    char t[] = "/tmp/berth-unit-root-XXXXXX";
    tmp = mkdtemp(t);
    root = tmp + "/root";
    fs::create_directories(root + "/etc");
    fs::create_directories(root + "/a/b");
    std::ofstream(root + "/etc/passwd") << "container";
    std::ofstream(tmp + "/host-secret") << "host";
    fs::create_symlink("/etc", root + "/abs");                // absolute: the container's /etc
    fs::create_symlink("../../../../../..", root + "/a/up");  // climbs to the root, no further
    fs::create_symlink("loop2", root + "/loop1");
    fs::create_symlink("loop1", root + "/loop2");
    fs::create_symlink(tmp + "/host-secret", root + "/hostlink");  // a host path, read inside
    fs::create_symlink("/proc/self/root", root + "/magic");
    fd = berth::UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  ~Root() { fs::remove_all(tmp); }
  std::string read(const std::string& p) {
    auto f = open_in_root(fd.get(), p, O_RDONLY);
    if (!f) return "<" + f.error().what() + ">";
    char buf[64];
    ssize_t n = ::read(f->get(), buf, sizeof buf);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }
};

}  // namespace

TEST(PathStat, GoFileModeBits) {
  EXPECT_EQ(go_file_mode(S_IFDIR | 0755), 2147484141u);  // as dockerd sent for /tmp
  EXPECT_EQ(go_file_mode(S_IFLNK | 0777), 134218239u);   // for /bin/sh -> busybox
  EXPECT_EQ(go_file_mode(S_IFREG | 0644), 0644u);
  EXPECT_EQ(go_file_mode(S_IFREG | S_ISUID | 0755), (1u << 23) | 0755u);
  EXPECT_EQ(go_file_mode(S_IFDIR | S_ISVTX | 0777), (1u << 31) | (1u << 20) | 0777u);
  EXPECT_EQ(go_file_mode(S_IFCHR | 0666), (1u << 26) | (1u << 21) | 0666u);
  EXPECT_EQ(go_file_mode(S_IFIFO | 0600), (1u << 25) | 0600u);
}

TEST(PathStat, TimesAsGoPrintsThem) {
  EXPECT_EQ(go_time({1700000000, 0}), "2023-11-14T22:13:20Z");
  EXPECT_EQ(go_time({1700000000, 705131692}), "2023-11-14T22:13:20.705131692Z");
  EXPECT_EQ(go_time({1700000000, 500000000}), "2023-11-14T22:13:20.5Z");
}

TEST(PathStat, HeaderIsBase64JsonInDockerdsOrder) {
  PathStat s{"sh", 7, 134218239u, "2026-11-30T03:31:18Z", "/bin/busybox"};
  auto raw = berth::image::http::base64_decode(encode_path_stat(s));
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw, R"({"name":"sh","size":7,"mode":134218239,"mtime":"2026-11-30T03:31:18Z","linkTarget":"/bin/busybox"})");
}

TEST(PathInRoot, CleansLikeGo) {
  EXPECT_EQ(clean_abs_path(""), "/");
  EXPECT_EQ(clean_abs_path("/"), "/");
  EXPECT_EQ(clean_abs_path("a/b/"), "/a/b");
  EXPECT_EQ(clean_abs_path("/../../etc/./passwd"), "/etc/passwd");
  EXPECT_EQ(clean_abs_path("/a/../.."), "/");
}

TEST(PathInRoot, HostileSymlinksStayInside) {
  Root r;
  EXPECT_EQ(r.read("/abs/passwd"), "container");          // /etc of the container, not the host's
  EXPECT_EQ(r.read("abs/passwd"), "container");
  EXPECT_EQ(r.read("/a/up/etc/passwd"), "container");     // "../.." stops at the root
  EXPECT_EQ(r.read("/../../../etc/passwd"), "container");
  EXPECT_NE(r.read("/hostlink"), "host");                 // a host path means nothing inside
  auto loop = open_in_root(r.fd.get(), "/loop1", O_RDONLY);
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().errnum, ELOOP);
  EXPECT_FALSE(open_in_root(r.fd.get(), "/magic/etc", O_RDONLY));  // magic links refused
}

TEST(PathInRoot, ResolveKeepsTheLastSymlinkUnlessAskedToFollow) {
  Root r;
  auto p = resolve_in_root(r.fd.get(), "/abs");
  ASSERT_TRUE(p) << p.error().what();
  EXPECT_EQ(p->base, "abs");
  auto s = stat_in_root(r.fd.get(), *p);
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->name, "abs");
  EXPECT_EQ(s->mode & (1u << 27), 1u << 27);
  EXPECT_EQ(s->link_target, "/etc");
  // A trailing slash follows it: the directory itself.
  auto f = resolve_in_root(r.fd.get(), "/abs/");
  ASSERT_TRUE(f) << f.error().what();
  auto fs2 = stat_in_root(r.fd.get(), *f);
  ASSERT_TRUE(fs2);
  EXPECT_EQ(fs2->name, "abs");
  EXPECT_EQ(fs2->mode & (1u << 31), 1u << 31);
  // Through an intermediate symlink: the container's file.
  // ".." is taken lexically first, as dockerd does: /a/etc, which is not there.
  auto up = resolve_in_root(r.fd.get(), "/a/up/../etc/passwd");
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().kind, berth::ErrorKind::NotFound);
  auto via = resolve_in_root(r.fd.get(), "/abs/passwd");
  ASSERT_TRUE(via);
  auto vs = stat_in_root(r.fd.get(), *via);
  ASSERT_TRUE(vs);
  EXPECT_EQ(vs->size, 9);
  // Missing parents are NotFound, so the API answers dockerd's 404.
  auto missing = resolve_in_root(r.fd.get(), "/nonexist/x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, berth::ErrorKind::NotFound);
  // The root itself.
  auto root = resolve_in_root(r.fd.get(), "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(stat_in_root(r.fd.get(), *root)->name, "/");
}

TEST(PathInRoot, LinkTargetOfRelativeAndDanglingLinks) {
  Root r;
  fs::create_symlink("b", r.root + "/a/rel");
  fs::create_symlink("../nowhere", r.root + "/a/dangling");
  auto rel = resolve_in_root(r.fd.get(), "/a/rel");
  ASSERT_TRUE(rel);
  EXPECT_EQ(stat_in_root(r.fd.get(), *rel)->link_target, "/a/b");
  auto d = resolve_in_root(r.fd.get(), "/a/dangling");
  ASSERT_TRUE(d);
  EXPECT_EQ(stat_in_root(r.fd.get(), *d)->link_target, "/nowhere");
}
