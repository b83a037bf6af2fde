// Probing this host's cgroup layout from statfs, mountinfo and /proc/self/cgroup.
#include <gtest/gtest.h>

#include <set>

#include "common/fs.hpp"
#include "runtime/cgroup.hpp"

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
  if (layout == CgroupLayout::Hybrid) EXPECT_EQ(roots->unified, "/sys/fs/cgroup/unified");
}
