// The v2 manager against a directory tree shaped like cgroupfs: this host's cgroup2 mount has
// no controllers, so the limit files are played by regular files that the kernel would provide.
#include <poll.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_convert.hpp"
#include "runtime/cgroup/cgroup_devices_bpf.hpp"

using namespace berth;
using namespace berth::runtime;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class CgroupV2Tree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cgv2-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root = tmpl;
    put("", "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma");
    put("", "cgroup.subtree_control", "");
  }
  void TearDown() override { fs::remove_all(root); }

  void put(const std::string& rel, const std::string& file, const std::string& text) {
    fs::create_directories(root + rel);
    std::ofstream(root + rel + "/" + file) << text;
  }
  std::string get(const std::string& rel, const std::string& file) {
    auto t = read_file(root + rel + "/" + file);
    return t ? trim(*t) : "<missing: " + t.error().what() + ">";
  }
  // The interface files the kernel creates in a cgroup with every controller enabled.
  void kernel_files(const std::string& rel) {
    for (auto& [f, v] : std::map<std::string, std::string>{
             {"cgroup.procs", ""}, {"cgroup.subtree_control", ""}, {"cgroup.freeze", "0"},
             {"cgroup.events", "populated 0\nfrozen 0\n"}, {"memory.max", "max"}, {"memory.swap.max", "max"},
             {"memory.low", "0"}, {"memory.high", "max"}, {"memory.current", "1234"}, {"memory.peak", "5000"},
             {"memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n"}, {"memory.stat", "anon 100\nfile 200\n"},
             {"cpu.weight", "100"}, {"cpu.max", "max 100000"}, {"cpu.max.burst", "0"}, {"cpu.idle", "0"},
             {"cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 3\nnr_throttled 1\nthrottled_usec 7\n"},
             {"cpuset.cpus", ""}, {"cpuset.mems", ""}, {"cpuset.cpus.effective", "0-1,3"}, {"cpuset.mems.effective", "0"}, {"io.weight", "default 100"}, {"io.max", ""},
             {"io.stat", "254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"}, {"pids.max", "max"},
             {"pids.current", "1"}, {"hugetlb.2MB.max", "max"}, {"hugetlb.2MB.current", "0"},
             {"hugetlb.2MB.events", "max 0\n"}})
      put(rel, f, v);
  }
  std::unique_ptr<CgroupManager> manager(const std::string& path) {
    CgroupRoots r;
    r.layout = CgroupLayout::V2;
    r.unified = root;
    auto m = make_cgroup_manager(r, path, "c1", false);
    EXPECT_TRUE(m) << m.error().what();
    return m ? std::move(*m) : nullptr;
  }

  std::string root;
};

const json kLimits = json::parse(R"({
  "memory": {"limit": 67108864, "swap": 134217728, "reservation": 33554432},
  "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 1000, "cpus": "0"},
  "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}]},
  "pids": {"limit": 100},
  "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
  "unified": {"memory.high": "50M"}
})");

}  // namespace

TEST_F(CgroupV2Tree, CreateWritesConvertedValuesAndDelegatesControllers) {
  put("/pod", "cgroup.subtree_control", "");
  kernel_files("/pod/c1");
  auto m = manager("/pod/c1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->layout(), CgroupLayout::V2);
  EXPECT_EQ(m->path(), "/pod/c1");
  auto r = m->create(kLimits);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(get("/pod/c1", "memory.max"), "67108864");
  EXPECT_EQ(get("/pod/c1", "memory.swap.max"), "67108864");  // memory+swap minus memory
  EXPECT_EQ(get("/pod/c1", "memory.low"), "33554432");
  EXPECT_EQ(get("/pod/c1", "cpu.weight"), "39");  // shares 1024
  EXPECT_EQ(get("/pod/c1", "cpu.max"), "50000 100000");
  EXPECT_EQ(get("/pod/c1", "cpu.max.burst"), "1000");
  EXPECT_EQ(get("/pod/c1", "cpuset.cpus"), "0");
  EXPECT_EQ(get("/pod/c1", "io.weight"), "4950");  // blkio weight 500
  EXPECT_EQ(get("/pod/c1", "io.max"), "254:0 rbps=1048576");
  EXPECT_EQ(get("/pod/c1", "pids.max"), "100");
  EXPECT_EQ(get("/pod/c1", "hugetlb.2MB.max"), "4194304");
  EXPECT_EQ(get("/pod/c1", "memory.high"), "50M");
  // Every ancestor delegates what the leaf needs; the leaf keeps its processes, so not it.
  EXPECT_EQ(get("", "cgroup.subtree_control"), "+cpu +cpuset +hugetlb +io +memory +pids");
  EXPECT_EQ(get("/pod", "cgroup.subtree_control"), "+cpu +cpuset +hugetlb +io +memory +pids");
  EXPECT_EQ(get("/pod/c1", "cgroup.subtree_control"), "");
}

TEST_F(CgroupV2Tree, UpdateWritesOnlyWhatIsGivenAndKeepsTheQuota) {
  kernel_files("/c1");
  auto m = manager("/c1");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->create(kLimits));
  auto u = m->update({{"cpu", {{"period", 200000}}}});
  ASSERT_TRUE(u) << u.error().what();
  EXPECT_EQ(get("/c1", "cpu.max"), "50000 200000");
  EXPECT_EQ(get("/c1", "memory.max"), "67108864");
  ASSERT_TRUE(m->update({{"memory", {{"limit", -1}}}}));
  EXPECT_EQ(get("/c1", "memory.max"), "max");
  EXPECT_EQ(get("/c1", "memory.swap.max"), "max");
  ASSERT_TRUE(m->update({{"cpu", {{"quota", -1}}}, {"pids", {{"limit", -1}}}}));
  EXPECT_EQ(get("/c1", "cpu.max"), "max");
  EXPECT_EQ(get("/c1", "pids.max"), "max");
}

TEST_F(CgroupV2Tree, CheckBeforeUpdateRefusesALimitBelowUsage) {
  kernel_files("/c1");
  auto m = manager("/c1");
  ASSERT_TRUE(m && m->create(json::object()));
  auto u = m->update({{"memory", {{"limit", 1000}, {"checkBeforeUpdate", true}}}});
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("linux.resources.memory.limit"), std::string::npos) << u.error().what();
  EXPECT_NE(u.error().message.find("below current usage 1234"), std::string::npos) << u.error().what();
  EXPECT_EQ(get("/c1", "memory.max"), "max");
}

TEST_F(CgroupV2Tree, MissingControllerIsRefusedBeforeAnythingIsCreated) {
  put("", "cgroup.controllers", "memory pids");
  auto m = manager("/new/c1");
  ASSERT_TRUE(m);
  auto r = m->create({{"cpu", {{"quota", 20000}, {"period", 100000}}}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cpu controller"), std::string::npos) << r.error().what();
  EXPECT_FALSE(fs::exists(root + "/new"));
  EXPECT_EQ(get("", "cgroup.subtree_control"), "");
}

TEST_F(CgroupV2Tree, FailureDuringCreateRemovesWhatWasCreated) {
  auto m = manager("/fresh");
  ASSERT_TRUE(m);
  // Validation passes (memory is a controller); the file is missing only once the directory exists.
  auto r = m->create({{"unified", {{"memory.nonexistent", "1"}}}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("linux.resources.unified.memory.nonexistent"), std::string::npos) << r.error().what();
  EXPECT_FALSE(fs::exists(root + "/fresh"));
}

TEST_F(CgroupV2Tree, RefusesWhatV2CannotDo) {
  auto m = manager("/c1");
  ASSERT_TRUE(m);
  auto rt = m->create({{"cpu", {{"realtimeRuntime", 1000}, {"realtimePeriod", 10000}}}});
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("linux.resources.cpu.realtimeRuntime"), std::string::npos) << rt.error().what();
  auto swap = m->create({{"memory", {{"swap", 100000000}}}});
  ASSERT_FALSE(swap);
  EXPECT_NE(swap.error().message.find("linux.resources.memory.swap"), std::string::npos) << swap.error().what();
  auto bad = m->create({{"memory", {{"limit", -3}}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("linux.resources.memory.limit"), std::string::npos);
  EXPECT_FALSE(fs::exists(root + "/c1"));
}

TEST_F(CgroupV2Tree, StatsReadTheKernelFilesInRuncShape) {
  kernel_files("/c1");
  auto m = manager("/c1");
  ASSERT_TRUE(m);
  auto s = m->stats();
  ASSERT_TRUE(s) << s.error().what();
  json& j = *s;
  EXPECT_EQ(j["cpu"]["usage"]["total"], 10000);
  EXPECT_EQ(j["cpu"]["usage"]["kernel"], 4000);
  EXPECT_EQ(j["cpu"]["usage"]["user"], 6000);
  EXPECT_EQ(j["cpu"]["throttling"]["throttled_periods"], 1);
  EXPECT_EQ(j["cpu"]["throttling"]["throttled_time"], 7000);
  EXPECT_EQ(j["memory"]["usage"]["usage"], 1234);
  EXPECT_EQ(j["memory"]["usage"]["max"], 5000);
  EXPECT_EQ(j["memory"]["usage"]["failcnt"], 2);
  EXPECT_EQ(j["memory"]["cache"], 200);
  EXPECT_EQ(j["memory"]["raw"]["anon"], 100);
  EXPECT_EQ(j["pids"]["current"], 1);
  EXPECT_EQ(j["pids"]["limit"], 0);  // "max"
  json read = {{"major", 254}, {"minor", 0}, {"op", "Read"}, {"value", 4096}};
  EXPECT_EQ(j["blkio"]["ioServiceBytesRecursive"][0], read);
  EXPECT_EQ(j["blkio"]["ioServicedRecursive"][1]["value"], 2);
  EXPECT_EQ(j["hugetlb"]["2MB"]["usage"], 0);
  EXPECT_EQ(j["cpuset"]["cpus"], json({0, 1, 3}));
  EXPECT_EQ(j["cpuset"]["mems"], json({0}));
  EXPECT_TRUE(j.contains("intel_rdt") && j.contains("network_interfaces"));  // runc prints them always
}

TEST_F(CgroupV2Tree, OomEventsFollowMemoryEvents) {
  kernel_files("/c1");
  auto m = manager("/c1");
  ASSERT_TRUE(m);
  auto ev = m->oom_events();
  ASSERT_TRUE(ev) << ev.error().what();
  EXPECT_EQ(*m->oom_kill_count(), 1u);
  // The kernel rewrites memory.events when a counter moves; inotify reports IN_MODIFY.
  put("/c1", "memory.events", "low 0\nhigh 0\nmax 5\noom 3\noom_kill 3\n");
  pollfd p{ev->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1) << "no inotify event within 2s";
  auto n = ev->consume();
  ASSERT_TRUE(n) << n.error().what();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(*m->oom_kill_count(), 3u);
  EXPECT_EQ(*ev->consume(), 0u);
}

TEST_F(CgroupV2Tree, SaveAndLoadRebuildTheSameManager) {
  put("/pod", "cgroup.subtree_control", "+pids");
  kernel_files("/pod/c1");
  auto m = manager("/pod/c1");
  ASSERT_TRUE(m);
  auto saved = m->save();
  auto l = load_cgroup_manager(json::parse(saved.dump()));
  ASSERT_TRUE(l) << l.error().what();
  EXPECT_EQ((*l)->layout(), CgroupLayout::V2);
  EXPECT_EQ((*l)->path(), "/pod/c1");
  EXPECT_EQ((*l)->save(), saved);
  ASSERT_TRUE((*l)->update({{"pids", {{"limit", 7}}}}));
  EXPECT_EQ(get("/pod/c1", "pids.max"), "7");
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v3"}}));
  EXPECT_FALSE(load_cgroup_manager({{"layout", "v2"}, {"root", "relative"}, {"path", "/x"}}));
}

TEST(CgroupConvert, MatchesRuncFormulas) {
  EXPECT_EQ(cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(*memory_swap_to_v2(0, -1), -1);
  EXPECT_EQ(*memory_swap_to_v2(-1, 100), -1);
  EXPECT_EQ(*memory_swap_to_v2(300, 100), 200);
  EXPECT_EQ(*memory_swap_to_v2(0, 100), 0);
  EXPECT_FALSE(memory_swap_to_v2(50, 100));
  EXPECT_FALSE(memory_swap_to_v2(50, 0));
}

TEST(CgroupDeviceFilter, DefaultFollowsTheLastWildcardRule) {
  auto deny_all = device_filter_program(json::parse(R"([{"allow":false,"access":"rwm"},
      {"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}])"));
  ASSERT_GE(deny_all.size(), 2u);
  EXPECT_EQ(deny_all.back().code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(deny_all[deny_all.size() - 2].imm, 0);  // nothing matched: deny
  auto allow_all = device_filter_program(json::parse(R"([{"allow":true,"access":"rwm"},
      {"allow":false,"type":"b","major":8,"access":"w"}])"));
  EXPECT_EQ(allow_all[allow_all.size() - 2].imm, 1);
  // Rules before a wildcard are reset by it and generate no code.
  auto reset = device_filter_program(json::parse(R"([{"allow":true,"type":"c","major":1,"minor":3},{"allow":false}])"));
  EXPECT_EQ(reset.size(), 6u + 2u);
}
