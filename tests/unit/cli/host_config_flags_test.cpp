// berth run's security and resource flags into HostConfig, parsed as the docker CLI does.
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "host_config_flags.hpp"

using namespace berth::cli;
using nlohmann::json;

TEST(HostConfigFlags, Sizes) {
  EXPECT_EQ(ram_in_bytes("32m"), 32 << 20);
  EXPECT_EQ(ram_in_bytes("32M"), 32 << 20);
  EXPECT_EQ(ram_in_bytes("64MiB"), 64 << 20);
  EXPECT_EQ(ram_in_bytes("1.5g"), int64_t{3} << 29);
  EXPECT_EQ(ram_in_bytes("512"), 512);
  EXPECT_EQ(ram_in_bytes("10kb"), 10240);
  EXPECT_FALSE(ram_in_bytes("1x"));
  EXPECT_FALSE(ram_in_bytes("m"));
  EXPECT_FALSE(ram_in_bytes(""));
}

TEST(HostConfigFlags, ResourcesAndSecurityIntoHostConfig) {
  HostConfigFlags f;
  f.memory = "32m";
  f.memory_swap = "-1";
  f.cpus = "0.5";
  f.pids_limit = 10;
  f.cap_add = {"SYS_ADMIN"};
  f.cap_drop = {"ALL"};
  f.security_opt = {"no-new-privileges", "seccomp=unconfined"};
  f.sysctl = {"net.ipv4.ip_forward=1"};
  f.ulimit = {"nofile=512:1024", "core=0"};
  f.device = {"/dev/fuse", "/dev/sda:/dev/xvda:r"};
  f.device_read_bps = {"/dev/sda:1mb"};
  f.device_write_iops = {"/dev/sda:100"};
  f.ipc = "shareable";
  f.privileged = true;
  json hc = json::object();
  auto r = apply_host_config_flags(f, hc);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(hc["Memory"], 32 << 20);
  EXPECT_EQ(hc["MemorySwap"], -1);
  EXPECT_EQ(hc["NanoCpus"], 500000000);
  EXPECT_EQ(hc["PidsLimit"], 10);
  EXPECT_EQ(hc["CapAdd"], json({"SYS_ADMIN"}));
  EXPECT_EQ(hc["CapDrop"], json({"ALL"}));
  EXPECT_EQ(hc["SecurityOpt"], json({"no-new-privileges", "seccomp=unconfined"}));
  EXPECT_EQ(hc["Sysctls"], json({{"net.ipv4.ip_forward", "1"}}));
  EXPECT_EQ(hc["Ulimits"][0], json({{"Name", "nofile"}, {"Soft", 512}, {"Hard", 1024}}));
  EXPECT_EQ(hc["Ulimits"][1], json({{"Name", "core"}, {"Soft", 0}, {"Hard", 0}}));
  EXPECT_EQ(hc["Devices"][0], json({{"PathOnHost", "/dev/fuse"}, {"PathInContainer", "/dev/fuse"}, {"CgroupPermissions", "rwm"}}));
  EXPECT_EQ(hc["Devices"][1], json({{"PathOnHost", "/dev/sda"}, {"PathInContainer", "/dev/xvda"}, {"CgroupPermissions", "r"}}));
  EXPECT_EQ(hc["BlkioDeviceReadBps"], json::array({{{"Path", "/dev/sda"}, {"Rate", 1 << 20}}}));
  EXPECT_EQ(hc["BlkioDeviceWriteIOps"], json::array({{{"Path", "/dev/sda"}, {"Rate", 100}}}));
  EXPECT_EQ(hc["IpcMode"], "shareable");
  EXPECT_EQ(hc["Privileged"], true);
}

TEST(HostConfigFlags, SeccompFileIsSentAsItsJson) {
  std::string path = "/tmp/berth-unit-seccomp-" + std::to_string(getpid()) + ".json";
  ASSERT_TRUE(berth::write_file_atomic(path, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n", 0600));
  HostConfigFlags f;
  f.security_opt = {"seccomp=" + path};
  json hc = json::object();
  auto r = apply_host_config_flags(f, hc);
  unlink(path.c_str());
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(hc["SecurityOpt"], json({R"(seccomp={"defaultAction":"SCMP_ACT_ALLOW"})"}));
}

TEST(HostConfigFlags, BadValuesInTheDockerClientsWords) {
  auto err = [](auto set) {
    HostConfigFlags f;
    set(f);
    json hc = json::object();
    auto r = apply_host_config_flags(f, hc);
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(err([](HostConfigFlags& f) { f.memory = "1x"; }),
            "invalid argument \"1x\" for \"-m, --memory\" flag: invalid size: '1x'");
  EXPECT_EQ(err([](HostConfigFlags& f) { f.cpus = "half"; }),
            "invalid argument \"half\" for \"--cpus\" flag: failed to parse half as a rational number");
  EXPECT_NE(err([](HostConfigFlags& f) { f.ulimit = {"nofile"}; }).find("invalid ulimit argument"), std::string::npos);
  EXPECT_NE(err([](HostConfigFlags& f) { f.device_read_bps = {"sda:1mb"}; }).find("bad format"), std::string::npos);
  EXPECT_NE(err([](HostConfigFlags& f) { f.security_opt = {"seccomp=/nonexistent.json"}; }).find("opening seccomp profile"),
            std::string::npos);
}
