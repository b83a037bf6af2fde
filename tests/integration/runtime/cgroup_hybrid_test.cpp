// Hybrid specifics: a limit whose controller this host has only in the cgroup2 mount (hugetlb
// here) goes to the unified side, and its stats come back from there.
#include "cgroup_test_support.hpp"
#include "common/fs.hpp"

namespace berth::test {
namespace {

using nlohmann::json;

class CgroupHybridOnly : public CgroupFixture<Hybrid> {
 protected:
  void SetUp() override {
    CgroupFixture<Hybrid>::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (auto& h : roots.v1)
      for (auto& c : h.controllers)
        if (c == "hugetlb") GTEST_SKIP() << "hugetlb is a v1 controller here";
    auto ctrls = read_file(roots.unified + "/cgroup.controllers");
    if (!ctrls || ctrls->find("hugetlb") == std::string::npos) GTEST_SKIP() << "no hugetlb in the cgroup2 mount";
    auto sub = read_file(roots.unified + "/cgroup.subtree_control");
    enabled_before = sub && sub->find("hugetlb") != std::string::npos;
  }
  void TearDown() override {
    CgroupFixture<Hybrid>::TearDown();
    // Put the root's delegation back as it was.
    if (!IsSkipped() && !enabled_before) (void)runtime::cg::write(roots.unified, "cgroup.subtree_control", "-hugetlb");
  }
  bool enabled_before = true;
};

TEST_F(CgroupHybridOnly, HugetlbLimitsGoToTheUnifiedSide) {
  auto r = mgr->create(json::parse(R"({"pids": {"limit": 10}, "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]})"));
  ASSERT_TRUE(r) << r.error().what();
  std::string dir = roots.unified + path;
  EXPECT_EQ(trim(*read_file(dir + "/hugetlb.2MB.max")), "4194304");
  EXPECT_EQ(trim(*read_file(v1_dir("pids") + "/pids.max")), "10");
  auto u = mgr->update(json::parse(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}]})"));
  ASSERT_TRUE(u) << u.error().what();
  EXPECT_EQ(trim(*read_file(dir + "/hugetlb.2MB.max")), "8388608");
  auto s = mgr->stats();
  ASSERT_TRUE(s) << s.error().what();
  json j = *s;
  EXPECT_EQ(j["hugetlb"]["2MB"]["max"], 8388608) << j.dump();
  EXPECT_EQ(j["pids"]["limit"], 10);
}

}  // namespace
}  // namespace berth::test
