// Lookups inside a container root never leave it: symlinks (absolute, relative, looping),
// "..", and /proc magic links are resolved as if the root were "/" or refused.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "runtime/process/path_in_root.hpp"

using namespace berth;
using namespace berth::runtime;

namespace {

class PathInRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-pir-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
    ASSERT_EQ(mkdir((root + "/etc").c_str(), 0755), 0);
    ASSERT_EQ(symlink("/etc", (root + "/abs").c_str()), 0);
    ASSERT_EQ(symlink("../../../../etc", (root + "/up").c_str()), 0);
    ASSERT_EQ(symlink("loop", (root + "/loop").c_str()), 0);
    ASSERT_EQ(symlink("/nowhere/at/all", (root + "/dangling").c_str()), 0);
    fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
  }
  void TearDown() override {
    close(fd);
    std::string cmd = "rm -rf " + root;
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  std::string where(const Result<UniqueFd>& r) { return r ? fd_path(r->get()) : "error: " + r.error().what(); }
  std::string root;
  int fd = -1;
};

TEST_F(PathInRoot, SymlinksAndDotDotStayInside) {
  EXPECT_EQ(where(open_in_root(fd, "/etc")), root + "/etc");
  EXPECT_EQ(where(open_in_root(fd, "../../etc")), root + "/etc");
  EXPECT_EQ(where(open_in_root(fd, "/abs")), root + "/etc");
  EXPECT_EQ(where(open_in_root(fd, "/up")), root + "/etc");
  auto loop = open_in_root(fd, "/loop/x");
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.error().errnum, ELOOP);
}

TEST_F(PathInRoot, MagicLinksAreRefused) {
  int outside = open("/", O_PATH | O_CLOEXEC);
  ASSERT_GE(outside, 0);
  ASSERT_EQ(mkdir((root + "/proc").c_str(), 0755), 0);
  ASSERT_EQ(symlink(("/proc/self/fd/" + std::to_string(outside)).c_str(), (root + "/proc/host").c_str()), 0);
  // Through the host's /proc, a magic link would name the host root: refused.
  std::string via_proc = "/proc/self/fd/" + std::to_string(outside);
  auto r = open_in_root(fd, via_proc);
  EXPECT_FALSE(r) << where(r);
  close(outside);
}

TEST_F(PathInRoot, MakeCreatesMissingPartsInside) {
  auto d = make_in_root(fd, "/abs/new/deep", NodeKind::Dir);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(fd_path(d->get()), root + "/etc/new/deep");
  auto f = make_in_root(fd, "/up/file", NodeKind::File);
  ASSERT_TRUE(f) << f.error().what();
  EXPECT_EQ(fd_path(f->get()), root + "/etc/file");
  struct stat st;
  ASSERT_EQ(stat((root + "/etc/file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(check_inside(f->get(), root, "x"));
}

TEST_F(PathInRoot, DanglingSymlinkIsAnErrorNotAWayOut) {
  auto d = make_in_root(fd, "/dangling/x", NodeKind::Dir);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().what().find("dangling symlink"), std::string::npos) << d.error().what();
  struct stat st;
  EXPECT_NE(stat("/nowhere", &st), 0);
}

TEST_F(PathInRoot, CheckInsideRefusesOutside) {
  int outside = open("/tmp", O_PATH | O_CLOEXEC);
  ASSERT_GE(outside, 0);
  auto r = check_inside(outside, root, "mount destination /x");
  EXPECT_FALSE(r);
  close(outside);
  // A sibling whose name starts with the root's is not inside it.
  std::string sib = root + "x";
  ASSERT_EQ(mkdir(sib.c_str(), 0755), 0);
  int s = open(sib.c_str(), O_PATH | O_CLOEXEC);
  EXPECT_FALSE(check_inside(s, root, "x"));
  close(s);
  rmdir(sib.c_str());
}

}  // namespace
