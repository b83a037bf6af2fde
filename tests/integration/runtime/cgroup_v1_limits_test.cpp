// v1 and hybrid against the real kernel: limits land in the controllers' files, a fork bomb
// hits pids.limit, a memory hog meets the OOM killer (and the OOM event/counter report it).
#include <poll.h>

#include <cstring>
#include <fstream>

#include "cgroup_test_support.hpp"
#include "common/fs.hpp"

namespace berth::test {
namespace {

using nlohmann::json;

// Allocates and touches n bytes so that they are charged (volatile: the compiler may not elide it).
bool touch(size_t n) {
  volatile char* p = static_cast<volatile char*>(::malloc(n));
  if (!p) return false;
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  return true;
}

template <class L>
class CgroupV1Limits : public CgroupFixture<L> {
 protected:
  std::string file(const std::string& controller, const std::string& name) {
    auto t = read_file(this->v1_dir(controller) + "/" + name);
    return t ? trim(*t) : "<" + t.error().what() + ">";
  }
};

using V1Layouts = ::testing::Types<V1, Hybrid>;
TYPED_TEST_SUITE(CgroupV1Limits, V1Layouts);

TYPED_TEST(CgroupV1Limits, LimitsLandInTheKernelFiles) {
  auto r = this->mgr->create(json::parse(R"({
    "memory": {"limit": 67108864, "swap": 134217728, "reservation": 33554432, "swappiness": 10, "kernel": 67108864},
    "cpu": {"shares": 512, "quota": 20000, "period": 100000, "burst": 10000, "cpus": "0", "mems": "0"},
    "pids": {"limit": 32},
    "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}]}
  })"));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(this->file("memory", "memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(this->file("memory", "memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(this->file("memory", "memory.soft_limit_in_bytes"), "33554432");
  EXPECT_EQ(this->file("memory", "memory.swappiness"), "10");
  EXPECT_EQ(this->file("cpu", "cpu.shares"), "512");
  EXPECT_EQ(this->file("cpu", "cpu.cfs_quota_us"), "20000");
  EXPECT_EQ(this->file("cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(this->file("cpu", "cpu.cfs_burst_us"), "10000");
  EXPECT_EQ(this->file("cpuset", "cpuset.cpus"), "0");
  // CFQ's blkio.weight is gone from current kernels; BFQ's file takes the same range.
  auto weight = this->file("blkio", runtime::cg::has(this->v1_dir("blkio"), "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight");
  EXPECT_NE(weight.find("500"), std::string::npos) << weight;
  EXPECT_EQ(this->file("pids", "pids.max"), "32");
  EXPECT_EQ(this->file("blkio", "blkio.throttle.read_bps_device"), "254:0 1048576");
  // The name=systemd hierarchy gets the directory too.
  EXPECT_TRUE(is_dir(this->v1_dir("name=systemd"))) << this->v1_dir("name=systemd");
}

TYPED_TEST(CgroupV1Limits, UpdateOrdersMemoryAndSwapAndTouchesNothingElse) {
  ASSERT_TRUE(this->mgr->create(json::parse(R"({"memory": {"limit": 33554432, "swap": 33554432}, "pids": {"limit": 20}})")));
  // Raising both: memsw has to go first, lowering both: the limit first.
  auto up = this->mgr->update(json::parse(R"({"memory": {"limit": 134217728, "swap": 268435456}})"));
  ASSERT_TRUE(up) << up.error().what();
  EXPECT_EQ(this->file("memory", "memory.limit_in_bytes"), "134217728");
  EXPECT_EQ(this->file("memory", "memory.memsw.limit_in_bytes"), "268435456");
  auto down = this->mgr->update(json::parse(R"({"memory": {"limit": 16777216, "swap": 16777216}})"));
  ASSERT_TRUE(down) << down.error().what();
  EXPECT_EQ(this->file("memory", "memory.limit_in_bytes"), "16777216");
  EXPECT_EQ(this->file("memory", "memory.memsw.limit_in_bytes"), "16777216");
  EXPECT_EQ(this->file("pids", "pids.max"), "20");
  auto cpu = this->mgr->update(json::parse(R"({"cpu": {"quota": 50000, "period": 50000}})"));
  ASSERT_TRUE(cpu) << cpu.error().what();
  EXPECT_EQ(this->file("cpu", "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(this->file("cpu", "cpu.cfs_period_us"), "50000");
  auto unlimited = this->mgr->update(json::parse(R"({"memory": {"limit": -1}, "pids": {"limit": -1}})"));
  ASSERT_TRUE(unlimited) << unlimited.error().what();
  EXPECT_EQ(this->file("pids", "pids.max"), "max");
  // A bad update is refused whole and leaves the old values.
  auto bad = this->mgr->update(json::parse(R"({"pids": {"limit": 5}, "memory": {"swappiness": 500}})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("linux.resources.memory.swappiness"), std::string::npos) << bad.error().what();
  EXPECT_EQ(this->file("pids", "pids.max"), "max");
}

TYPED_TEST(CgroupV1Limits, ForkBombIsContainedByPidsLimit) {
  ASSERT_TRUE(this->mgr->create(json::parse(R"({"pids": {"limit": 16}})")));
  Child bomb([](int, int out) {
    // Forks until the kernel says no; every child just sleeps. Reports how many it got.
    unsigned char made = 0;
    for (int i = 0; i < 200; ++i) {
      pid_t p = ::fork();
      if (p == 0) {
        for (;;) ::pause();
      }
      if (p < 0) {
        if (errno != EAGAIN) return 2;
        break;
      }
      ++made;
    }
    (void)!::write(out, &made, 1);
    for (;;) ::pause();
  });
  ASSERT_TRUE(this->mgr->add_process(bomb.pid()));
  bomb.go();
  int made = bomb.receive(std::chrono::seconds(10));
  ASSERT_GE(made, 0) << "the fork bomb never reported";
  EXPECT_EQ(made, 15) << "16 tasks allowed: the bomb and 15 children";
  auto procs = this->mgr->pids();
  ASSERT_TRUE(procs);
  EXPECT_EQ(procs->size(), 16u);
  auto s = this->mgr->stats();
  ASSERT_TRUE(s);
  json j = *s;
  EXPECT_EQ(j["pids"]["current"], 16);
  EXPECT_EQ(j["pids"]["limit"], 16);
}

TYPED_TEST(CgroupV1Limits, MemoryHogIsOomKilledAndTheEventIsSeen) {
  ASSERT_TRUE(this->mgr->create(json::parse(R"({"memory": {"limit": 33554432, "swap": 33554432}})")));
  auto events = this->mgr->oom_events();
  ASSERT_TRUE(events) << events.error().what();
  auto before = this->mgr->oom_kill_count();
  ASSERT_TRUE(before) << before.error().what();
  EXPECT_EQ(*before, 0u);
  Child hog([](int, int) {
    for (int i = 0; i < 64; ++i)  // 64 x 8 MiB: far past the 32 MiB limit
      if (!touch(8 << 20)) return 3;
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(hog.pid()));
  hog.go();
  int st = hog.wait(std::chrono::seconds(30));
  ASSERT_NE(st, -1) << "the hog was not stopped";
  ASSERT_TRUE(WIFSIGNALED(st)) << "exited with " << WEXITSTATUS(st) << " instead of being killed";
  EXPECT_EQ(WTERMSIG(st), SIGKILL);
  pollfd p{events->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "no OOM notification within 5s";
  auto fresh = events->consume();
  ASSERT_TRUE(fresh) << fresh.error().what();
  EXPECT_GE(*fresh, 1u);
  EXPECT_GE(*this->mgr->oom_kill_count(), 1u);
  auto s = this->mgr->stats();
  ASSERT_TRUE(s);
  json j = *s;
  // The peak reached the limit (this kernel leaves v1 failcnt at 0 when reclaim ends in OOM).
  EXPECT_GE(j["memory"]["usage"]["max"].get<uint64_t>(), 30u << 20) << j["memory"]["usage"].dump();
  EXPECT_EQ(j["memory"]["usage"]["limit"], 33554432);
}

TYPED_TEST(CgroupV1Limits, DisabledOomKillerLeavesTheHogWaitingAndStillNotifies) {
  ASSERT_TRUE(this->mgr->create(json::parse(R"({"memory": {"limit": 33554432, "swap": 33554432, "disableOOMKiller": true}})")));
  EXPECT_NE(this->file("memory", "memory.oom_control").find("oom_kill_disable 1"), std::string::npos);
  auto events = this->mgr->oom_events();
  ASSERT_TRUE(events) << events.error().what();
  Child hog([](int, int) {
    for (int i = 0; i < 64; ++i)
      if (!touch(8 << 20)) return 3;
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(hog.pid()));
  hog.go();
  pollfd p{events->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "no OOM notification within 10s";
  EXPECT_TRUE(wait_until([&] { return this->file("memory", "memory.oom_control").find("under_oom 1") != std::string::npos; },
                         std::chrono::seconds(10)));
  auto kills = events->consume();
  ASSERT_TRUE(kills) << kills.error().what();
  EXPECT_EQ(*kills, 0u) << "the OOM killer is disabled";
  EXPECT_EQ(hog.wait(std::chrono::milliseconds(200)), -1) << "the hog should wait, not die";
  // The fixture's cleanup kills it: a fatal signal ends an OOM wait.
}

TYPED_TEST(CgroupV1Limits, FreezerStateFollowsFreezeAndThaw) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  Child child([](int in, int) {
    char c;
    while (::read(in, &c, 1) == 1) {}
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  ASSERT_TRUE(this->mgr->freeze());
  EXPECT_EQ(this->file("freezer", "freezer.state"), "FROZEN");
  ASSERT_TRUE(this->mgr->thaw());
  EXPECT_EQ(this->file("freezer", "freezer.state"), "THAWED");
}

TYPED_TEST(CgroupV1Limits, StatsReportMemoryAndPids) {
  ASSERT_TRUE(this->mgr->create(json::parse(R"({"memory": {"limit": 134217728}, "pids": {"limit": 10}})")));
  Child child([](int in, int out) {
    if (!touch(16 << 20)) return 3;
    char c = 'm';
    (void)!::write(out, &c, 1);
    while (::read(in, &c, 1) == 1) {}
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  child.go();
  ASSERT_EQ(child.receive(std::chrono::seconds(10)), 'm');
  auto s = this->mgr->stats();
  ASSERT_TRUE(s) << s.error().what();
  json j = *s;
  EXPECT_GE(j["memory"]["usage"]["usage"].get<uint64_t>(), 16u << 20) << j["memory"]["usage"].dump();
  EXPECT_EQ(j["memory"]["usage"]["limit"], 134217728);
  EXPECT_TRUE(j["memory"]["raw"].contains("rss")) << j["memory"]["raw"].dump();
  EXPECT_EQ(j["pids"]["current"], 1);
  EXPECT_EQ(j["pids"]["limit"], 10);
  EXPECT_TRUE(j["cpu"]["usage"]["percpu"].is_array());
  EXPECT_TRUE(j["blkio"]["ioServiceBytesRecursive"].is_array());
  EXPECT_FALSE(j["cpuset"]["cpus"].empty()) << j["cpuset"].dump();
  EXPECT_TRUE(j["hugetlb"].is_object());
  // checkBeforeUpdate refuses a limit below what the container already uses.
  auto below = this->mgr->update(json::parse(R"({"memory": {"limit": 4194304, "checkBeforeUpdate": true}})"));
  ASSERT_FALSE(below);
  EXPECT_NE(below.error().message.find("linux.resources.memory.limit: rejecting memory limit 4194304 below current usage"),
            std::string::npos) << below.error().what();
  EXPECT_EQ(this->file("memory", "memory.limit_in_bytes"), "134217728");
}

TYPED_TEST(CgroupV1Limits, MissingBlockDeviceCreatesNothing) {
  auto r = this->mgr->create(json::parse(R"({"pids": {"limit": 5},
      "blockIO": {"throttleReadBpsDevice": [{"major": 4095, "minor": 1048575, "rate": 1}]}})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("linux.resources.blockIO.throttleReadBpsDevice[0]"), std::string::npos) << r.error().what();
  for (auto& d : this->dirs(this->path)) EXPECT_FALSE(this->path_exists(d)) << d;
}

}  // namespace
}  // namespace berth::test
