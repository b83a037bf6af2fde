// personality, ioPriority, scheduler, and the LSM/RDT settings this host lacks.
#include "runtime_fixture.hpp"

namespace berth::test {

TEST_F(RuntimeTest, Linux32PersonalityChangesUname) {
  bundle->config["linux"]["personality"] = {{"domain", "LINUX32"}};
  auto r = sh_in("uname -m");
  EXPECT_EQ(r.out, "i686\n") << r.err;
}

TEST_F(RuntimeTest, IoPriorityIsApplied) {
  bundle->config["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 0}};
  auto r = sh_in("ionice -p $$");
  EXPECT_NE(r.out.find("idle"), std::string::npos) << r.out << r.err;
}

TEST_F(RuntimeTest, SchedulerPolicyIsApplied) {
  bundle->config["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 5}};
  // /proc/PID/stat field 19 is nice, field 41 the policy (SCHED_BATCH = 3).
  auto r = sh_in("cut -d' ' -f19,41 /proc/$$/stat");
  EXPECT_EQ(r.out, "5 3\n") << r.err;
}

TEST_F(RuntimeTest, BadSchedulerAndIoPriorityAreRefused) {
  bundle->config["process"]["scheduler"] = {{"policy", "SCHED_WHATEVER"}};
  auto r = sh_in("true");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("process.scheduler.policy: unknown policy"), std::string::npos) << r.err;
  bundle->config["process"].erase("scheduler");
  bundle->config["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 9}};
  r = sh_in("true");
  EXPECT_NE(r.err.find("process.ioPriority.priority"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, IntelRdtWithoutResctrlIsAClearError) {
  bundle->config["linux"]["intelRdt"] = {{"closID", "x"}, {"l3CacheSchema", "L3:0=f"}};
  auto r = sh_in("true");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("linux.intelRdt: Intel RDT is not available"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, LsmLabelsWithoutLsmAreIgnoredWithWarning) {
  bundle->config["process"]["apparmorProfile"] = "docker-default";
  bundle->config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0";
  auto r = sh_in("echo ran");
  EXPECT_EQ(r.out, "ran\n") << r.err;
  EXPECT_NE(r.err.find("ignored"), std::string::npos) << r.err;
}

}  // namespace berth::test
