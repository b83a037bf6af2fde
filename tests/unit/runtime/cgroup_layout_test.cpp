// Probing this host's cgroup layout from statfs, mountinfo and /proc/self/cgroup.
#include <gtest/gtest.h>

#include <set>

#include "common/fs.hpp"
#include "runtime/cgroup/cgroup.hpp"

using namespace berth;
using namespace berth::runtime;

TEST(CgroupLayout, ProbeFindsTheMountsOfTheDetectedLayout) {
  auto layout = detect_cgroup_layout();
  auto roots = probe_cgroup_roots();
  ASSERT_TRUE(roots) << roots.error().what();
  EXPECT_EQ(roots->layout, layout);
  EXPECT_STREQ(cgroup_layout_name(CgroupLayout::Hybrid), "hybrid");
  if (layout == CgroupLayout::V2) {
    EXPECT_EQ(roots->unified, "/sys/fs/cgroup");
    EXPECT_TRUE(roots->v1.empty());
    return;
  }
  std::set<std::string> controllers;
  for (auto& h : roots->v1) {
    EXPECT_TRUE(is_dir(h.mountpoint)) << h.mountpoint;
    EXPECT_TRUE(h.self.starts_with("/")) << h.self;
    for (auto& c : h.controllers) controllers.insert(c);
  }
  for (auto* c : {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"}) EXPECT_TRUE(controllers.count(c)) << c;
  if (layout == CgroupLayout::Hybrid) {
    EXPECT_EQ(roots->unified, "/sys/fs/cgroup/unified");
  }
}

TEST(CgroupLayout, ParsesHybridMountsWithSeparateAndCombinedCpuHierarchies) {
  std::string mountinfo =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 23 0:40 / /mnt/my\\040dir rw - ext4 /dev/vda rw\n";
  std::string self = "9:name=systemd:/user.slice\n4:memory:/jobs/7\n2:cpu,cpuacct:/\n0::/user.slice/s.scope\n";
  auto r = parse_cgroup_roots(mountinfo, self, CgroupLayout::Hybrid);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->v1.size(), 3u);
  EXPECT_EQ(r->v1[0].controllers, (std::vector<std::string>{"name=systemd"}));
  EXPECT_EQ(r->v1[0].self, "/user.slice");
  EXPECT_EQ(r->v1[1].mountpoint, "/sys/fs/cgroup/memory");
  EXPECT_EQ(r->v1[1].self, "/jobs/7");
  EXPECT_EQ(r->v1[2].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(r->v1[2].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(r->unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(r->unified_self, "/user.slice/s.scope");
}

TEST(CgroupLayout, MountRootsOfANestedHostAreStripped) {
  // Inside a container without a cgroup namespace: the mounts show the container's subtree.
  std::string mountinfo =
      "700 690 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
      "701 690 0:36 /docker/abc /sys/fs/cgroup/pids ro,nosuid - cgroup cgroup rw,pids\n";
  std::string self = "8:pids:/docker/abc\n4:memory:/docker/abc/inner\n";
  auto r = parse_cgroup_roots(mountinfo, self, CgroupLayout::V1);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->v1.size(), 2u);
  EXPECT_EQ(r->v1[0].self, "/");
  EXPECT_EQ(r->v1[0].root, "/docker/abc");
  EXPECT_EQ(r->v1[1].self, "/inner");
}

TEST(CgroupLayout, PureV2AndMissingMounts) {
  auto v2 = parse_cgroup_roots("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/init.scope\n", CgroupLayout::V2);
  ASSERT_TRUE(v2) << v2.error().what();
  EXPECT_EQ(v2->unified, "/sys/fs/cgroup");
  EXPECT_EQ(v2->unified_self, "/init.scope");
  EXPECT_TRUE(v2->v1.empty());
  EXPECT_FALSE(parse_cgroup_roots("", "0::/\n", CgroupLayout::V2));
  EXPECT_FALSE(parse_cgroup_roots("", "4:memory:/\n", CgroupLayout::V1));
}
