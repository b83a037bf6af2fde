// Where the v1 and hybrid managers put their directories, from injected roots: combined and
// separate cpu/cpuacct mounts, named hierarchies, relative paths below the caller's cgroup.
#include <gtest/gtest.h>

#include "runtime/cgroup/cgroup.hpp"

using namespace berth;
using namespace berth::runtime;
using nlohmann::json;

namespace {

CgroupRoots combined_roots() {
  CgroupRoots r;
  r.layout = CgroupLayout::Hybrid;
  r.v1 = {{{"cpu", "cpuacct"}, "/sys/fs/cgroup/cpu,cpuacct", "/", "/user.slice"},
          {{"memory"}, "/sys/fs/cgroup/memory", "/", "/runner/job"},
          {{"name=systemd"}, "/sys/fs/cgroup/systemd", "/", "/user.slice/session-1.scope"}};
  r.unified = "/sys/fs/cgroup/unified";
  r.unified_self = "/user.slice/session-1.scope";
  return r;
}

}  // namespace

TEST(CgroupV1Paths, AbsolutePathIsTheSameInEveryHierarchy) {
  auto m = make_cgroup_manager(combined_roots(), "/berth/c1", "c1", false);
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ((*m)->layout(), CgroupLayout::Hybrid);
  EXPECT_EQ((*m)->path(), "/berth/c1");
  json s = (*m)->save();
  EXPECT_EQ(s["v1"]["dirs"]["cpu"], "/sys/fs/cgroup/cpu,cpuacct/berth/c1");
  EXPECT_EQ(s["v1"]["dirs"]["cpuacct"], "/sys/fs/cgroup/cpu,cpuacct/berth/c1");
  EXPECT_EQ(s["v1"]["dirs"]["memory"], "/sys/fs/cgroup/memory/berth/c1");
  EXPECT_EQ(s["v1"]["dirs"]["name=systemd"], "/sys/fs/cgroup/systemd/berth/c1");
  EXPECT_EQ(s["v2"]["root"], "/sys/fs/cgroup/unified");
  EXPECT_EQ(s["v2"]["path"], "/berth/c1");
}

TEST(CgroupV1Paths, RelativePathIsBelowTheCallersCgroupInEachHierarchy) {
  auto roots = combined_roots();
  roots.layout = CgroupLayout::V1;
  auto m = make_cgroup_manager(roots, "pod/c1", "c1", false);
  ASSERT_TRUE(m) << m.error().what();
  json s = (*m)->save();
  EXPECT_EQ(s["layout"], "v1");
  EXPECT_EQ(s["dirs"]["cpu"], "/sys/fs/cgroup/cpu,cpuacct/user.slice/pod/c1");
  EXPECT_EQ(s["dirs"]["memory"], "/sys/fs/cgroup/memory/runner/job/pod/c1");
  EXPECT_EQ((*m)->path(), "/runner/job/pod/c1");  // as /proc/PID/cgroup shows it for memory
}

TEST(CgroupV1Paths, SeparateCpuAndCpuacctMountsAndSystemdPaths) {
  CgroupRoots r;
  r.layout = CgroupLayout::V1;
  r.v1 = {{{"cpu"}, "/sys/fs/cgroup/cpu", "/", "/"}, {{"cpuacct"}, "/sys/fs/cgroup/cpuacct", "/", "/"}};
  auto m = make_cgroup_manager(r, "machine.slice:berth:c1", "c1", true);
  ASSERT_TRUE(m) << m.error().what();
  json s = (*m)->save();
  EXPECT_EQ(s["dirs"]["cpu"], "/sys/fs/cgroup/cpu/machine.slice/berth-c1.scope");
  EXPECT_EQ(s["dirs"]["cpuacct"], "/sys/fs/cgroup/cpuacct/machine.slice/berth-c1.scope");
  auto l = load_cgroup_manager(s);
  ASSERT_TRUE(l);
  EXPECT_EQ((*l)->save(), s);
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v1"}, {"path", "/x"}, {"dirs", {{"cpu", "relative/dir"}}}}));
}

TEST(CgroupV1Paths, SavedStateNamingARootOrAnotherCgroupIsRefused) {
  // destroy() removes everything below the directory: a bad state must never reach it.
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v1"}, {"path", "/"}, {"dirs", {{"memory", "/sys/fs/cgroup/memory"}}}}));
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v1"}, {"path", "/c1"}, {"dirs", {{"memory", "/sys/fs/cgroup/memory"}}}}));
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v1"}, {"path", "/c1"}, {"dirs", {{"memory", "/sys/fs/cgroup/memory/c1/.."}}}}));
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v2"}, {"root", "/sys/fs/cgroup"}, {"path", "/"}}));
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v1"}, {"path", "/c1"}, {"dirs", {{"memory", "/sys/fs/cgroup/memory/c1"}}},
                                    {"parents", {"/etc"}}}));
  EXPECT_TRUE(load_cgroup_manager({{"layout", "v1"}, {"path", "/a/c1"}, {"dirs", {{"memory", "/sys/fs/cgroup/memory/a/c1"}}},
                                   {"parents", {"/sys/fs/cgroup/memory/a"}}}));
}
