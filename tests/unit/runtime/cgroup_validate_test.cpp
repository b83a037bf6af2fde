// validate_resources: every bad value is refused with the field's name; good specs pass.
#include <gtest/gtest.h>

#include "runtime/cgroup/cgroup.hpp"

using namespace berth;
using namespace berth::runtime;
using nlohmann::json;

namespace {

// Expects a refusal whose message names `field`.
void refused(const json& r, const std::string& field) {
  auto v = validate_resources(r);
  ASSERT_FALSE(v) << "accepted: " << r.dump();
  EXPECT_EQ(v.error().kind, ErrorKind::Invalid) << v.error().what();
  EXPECT_NE(v.error().message.find(field), std::string::npos) << "message \"" << v.error().what() << "\" does not name " << field;
}

}  // namespace

TEST(CgroupValidate, AcceptsAFullRuncStyleSpec) {
  json r = json::parse(R"({
    "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                {"allow": true, "type": "b", "major": -1, "minor": -1, "access": "m"}],
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728, "kernel": -1, "kernelTCP": 0,
               "swappiness": 60, "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
    "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 10000, "realtimeRuntime": 0, "realtimePeriod": 0,
            "cpus": "0-1", "mems": "0", "idle": 0},
    "blockIO": {"weight": 500, "leafWeight": 300, "weightDevice": [{"major": 254, "minor": 0, "weight": 200}],
                "throttleReadBpsDevice": [{"major": 254, "minor": 0, "rate": 1048576}]},
    "pids": {"limit": 100},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
    "unified": {"memory.high": "1G", "io.max": "254:0 rbps=max"}
  })");
  auto v = validate_resources(r);
  EXPECT_TRUE(v) << v.error().what();
  EXPECT_TRUE(validate_resources(json()));
  EXPECT_TRUE(validate_resources(json::object()));
  EXPECT_TRUE(validate_resources(json{{"memory", {{"limit", -1}, {"swap", -1}}}}));
  EXPECT_TRUE(validate_resources(json{{"pids", {{"limit", 0}}}}));
}

TEST(CgroupValidate, RefusesNegativeAndOutOfRangeValues) {
  refused({{"memory", {{"limit", -2}}}}, "linux.resources.memory.limit");
  refused({{"memory", {{"reservation", -100}}}}, "linux.resources.memory.reservation");
  refused({{"memory", {{"swappiness", 101}}}}, "linux.resources.memory.swappiness");
  refused({{"memory", {{"limit", "64m"}}}}, "linux.resources.memory.limit");
  refused({{"memory", {{"disableOOMKiller", 1}}}}, "linux.resources.memory.disableOOMKiller");
  refused({{"cpu", {{"shares", -1}}}}, "linux.resources.cpu.shares");
  refused({{"cpu", {{"quota", -5}}}}, "linux.resources.cpu.quota");
  refused({{"cpu", {{"period", 10}}}}, "linux.resources.cpu.period");
  refused({{"cpu", {{"period", 2000000}}}}, "linux.resources.cpu.period");
  refused({{"cpu", {{"idle", 2}}}}, "linux.resources.cpu.idle");
  refused({{"cpu", {{"cpus", "0-"}}}}, "linux.resources.cpu.cpus");
  refused({{"cpu", {{"mems", "a"}}}}, "linux.resources.cpu.mems");
  refused({{"pids", {{"limit", -7}}}}, "linux.resources.pids.limit");
  refused({{"blockIO", {{"weight", 5}}}}, "linux.resources.blockIO.weight");
  refused({{"blockIO", {{"weight", 1001}}}}, "linux.resources.blockIO.weight");
  refused({{"network", {{"classID", -1}}}}, "linux.resources.network.classID");
  refused({{"rdma", {{"mlx", {{"hcaHandles", -1}}}}}}, "linux.resources.rdma.mlx.hcaHandles");
  refused({{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", -1}}}}}, "linux.resources.hugepageLimits[0].limit");
}

TEST(CgroupValidate, RefusesCpuQuotaWithoutMeaning) {
  refused({{"cpu", {{"quota", 500}, {"period", 100000}}}}, "linux.resources.cpu.quota");
  refused({{"cpu", {{"quota", 10000}, {"burst", 20000}}}}, "linux.resources.cpu.burst");
  refused({{"cpu", {{"quota", -1}, {"burst", 20000}}}}, "linux.resources.cpu.burst");
  refused({{"cpu", {{"realtimeRuntime", 2000}, {"realtimePeriod", 1000}}}}, "linux.resources.cpu.realtimeRuntime");
}

TEST(CgroupValidate, RefusesSwapBelowMemoryLimit) {
  refused({{"memory", {{"limit", 1 << 26}, {"swap", 1 << 25}}}}, "linux.resources.memory.swap");
  refused({{"memory", {{"limit", -1}, {"swap", 1 << 25}}}}, "linux.resources.memory.swap");
}

TEST(CgroupValidate, RefusesBadDeviceRules) {
  refused({{"devices", {{{"allow", true}, {"type", "x"}}}}}, "linux.resources.devices[0].type");
  refused({{"devices", {{{"allow", true}, {"type", "c"}, {"access", "rwx"}}}}}, "linux.resources.devices[0].access");
  refused({{"devices", {{{"allow", true}, {"access", "rr"}}}}}, "linux.resources.devices[0].access");
  refused({{"devices", {{{"type", "c"}}}}}, "linux.resources.devices[0].allow");
  refused({{"devices", {{{"allow", false}}, {{"allow", true}, {"major", -3}}}}}, "linux.resources.devices[1].major");
  refused({{"devices", json::object()}}, "linux.resources.devices");
}

TEST(CgroupValidate, RefusesMissingBlockDevices) {
  // 4095:1048575 is the largest dev_t pair; no disk ever has it.
  refused({{"blockIO", {{"weightDevice", {{{"major", 4095}, {"minor", 1048575}, {"weight", 100}}}}}}},
          "linux.resources.blockIO.weightDevice[0]");
  refused({{"blockIO", {{"throttleWriteIOPSDevice", {{{"major", 4095}, {"minor", 1048575}, {"rate", 100}}}}}}},
          "linux.resources.blockIO.throttleWriteIOPSDevice[0]");
  refused({{"blockIO", {{"throttleReadBpsDevice", {{{"major", 254}, {"minor", 0}}}}}}}, "linux.resources.blockIO.throttleReadBpsDevice[0].rate");
}

TEST(CgroupValidate, IgnoresUnknownFieldsAsTheSpecRequires) {
  // OCI config.md: implementations MUST ignore unknown properties.
  EXPECT_TRUE(validate_resources({{"memory", {{"limitt", 5}}}}));
  EXPECT_TRUE(validate_resources({{"cpuu", json::object()}}));
}

TEST(CgroupValidate, RefusesBadUnifiedKeys) {
  refused({{"unified", {{"bogus.max", "1"}}}}, "linux.resources.unified.bogus.max");
  refused({{"unified", {{"memory", "1"}}}}, "linux.resources.unified.memory");
  refused({{"unified", {{"../../etc.passwd", "x"}}}}, "linux.resources.unified");
  refused({{"unified", {{"cgroup.procs", "1"}}}}, "linux.resources.unified.cgroup.procs");
  refused({{"unified", {{"memory.max", 5}}}}, "linux.resources.unified.memory.max");
  refused({{"hugepageLimits", {{{"pageSize", "3MB"}, {"limit", 0}}}}}, "linux.resources.hugepageLimits[0].pageSize");
  refused({{"network", {{"priorities", {{{"name", "../x"}, {"priority", 1}}}}}}}, "linux.resources.network.priorities[0].name");
}
