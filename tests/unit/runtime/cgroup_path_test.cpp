// cgroupsPath resolution: absolute, relative, systemd slices, and hostile values.
#include <gtest/gtest.h>

#include "runtime/cgroup/cgroup.hpp"

using namespace berth;
using namespace berth::runtime;

TEST(CgroupPath, EmptyMeansSlashId) {
  auto p = resolve_cgroups_path("", "c1", false);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, "/c1");
  EXPECT_FALSE(p->relative);
}

TEST(CgroupPath, AbsoluteAndRelative) {
  auto a = resolve_cgroups_path("/docker//abc/", "x", false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->path, "/docker/abc");
  EXPECT_FALSE(a->relative);
  auto r = resolve_cgroups_path("pod/ctr", "x", false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->path, "/pod/ctr");
  EXPECT_TRUE(r->relative);
}

TEST(CgroupPath, SystemdSlicesExpand) {
  auto p = resolve_cgroups_path("machine-pod-a.slice:berth:abc", "abc", true);
  ASSERT_TRUE(p) << p.error().what();
  EXPECT_EQ(p->path, "/machine.slice/machine-pod.slice/machine-pod-a.slice/berth-abc.scope");
  auto d = resolve_cgroups_path("", "abc", true);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->path, "/system.slice/berth-abc.scope");
  auto root = resolve_cgroups_path("-.slice:p:n", "n", true);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->path, "/p-n.scope");
  auto noprefix = resolve_cgroups_path(":" ":n", "n", true);
  ASSERT_TRUE(noprefix);
  EXPECT_EQ(noprefix->path, "/system.slice/n.scope");
  auto slice_name = resolve_cgroups_path("user.slice:p:user-1000.slice", "x", true);
  ASSERT_TRUE(slice_name);
  EXPECT_EQ(slice_name->path, "/user.slice/user-1000.slice");
}

TEST(CgroupPath, RefusesHostileAndMalformed) {
  for (auto bad : {"/a/../../etc", "../x", "/a/./b", "/"}) {
    auto p = resolve_cgroups_path(bad, "x", false);
    EXPECT_FALSE(p) << bad;
    if (!p) {
      EXPECT_NE(p.error().message.find("linux.cgroupsPath"), std::string::npos) << p.error().what();
    }
  }
  EXPECT_FALSE(resolve_cgroups_path("system.slice:docker:x", "x", false));
  EXPECT_FALSE(resolve_cgroups_path("system:docker:x", "x", true));        // slice must end in .slice
  EXPECT_FALSE(resolve_cgroups_path("a--b.slice:p:x", "x", true));         // invalid slice name
  EXPECT_FALSE(resolve_cgroups_path("a/b.slice:p:x", "x", true));
  EXPECT_FALSE(resolve_cgroups_path("system.slice:p", "x", true));          // two fields
  EXPECT_FALSE(resolve_cgroups_path("system.slice:p:../x", "x", true));
  EXPECT_FALSE(resolve_cgroups_path("", "../x", false));
}
