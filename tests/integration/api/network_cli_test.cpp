// `docker network` with both stock clients against a private berthd: the predefined networks,
// create/ls/inspect/rm/prune, dockerd's errors, and the bridges appearing and going on the host.
#include <gtest/gtest.h>
#include <net/if.h>

#include <nlohmann/json.hpp>

#include "api/berthd_fixture.hpp"

using namespace berth::api::test;

namespace {

bool link_exists(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

class NetworkCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_TRUE(d.ready()) << d.log();
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  Berthd d;
};

}  // namespace

TEST_P(NetworkCli, PredefinedNetworksAndTheDefaultBridge) {
  auto ls = docker({"network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"});
  ASSERT_EQ(ls.status, 0) << ls.err;
  EXPECT_EQ(ls.out, "bridge bridge local\nhost host local\nnone null local\n");
  auto br = docker({"network", "inspect", "bridge"});
  ASSERT_EQ(br.status, 0) << br.err;
  auto j = nlohmann::json::parse(br.out);
  ASSERT_EQ(j.size(), 1u);
  auto bridge_name = j[0]["Options"].value("com.docker.network.bridge.name", "");
  EXPECT_EQ(bridge_name, "berth0");
  EXPECT_TRUE(link_exists("berth0")) << "the default bridge is not on the host while berthd runs";
  auto rm = docker({"network", "rm", "bridge"});
  EXPECT_NE(rm.status, 0);
  EXPECT_NE(rm.err.find("bridge is a pre-defined network and cannot be removed"), std::string::npos) << rm.err;
  d.stop();
  EXPECT_FALSE(link_exists("berth0")) << "berth0 outlived berthd with no container on it";
}

TEST_P(NetworkCli, CreateInspectRemoveAndPrune) {
  auto c = docker({"network", "create", "--subnet", "10.123.0.0/24", "--gateway", "10.123.0.254", "--label", "team=a",
                   "-o", "com.docker.network.bridge.name=br-berthtest", "tnet"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(c.out.size(), 65u) << c.out;  // the ID and a newline
  EXPECT_TRUE(link_exists("br-berthtest"));
  auto f = docker({"network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.team}}", "tnet"});
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(f.out, "10.123.0.0/24 10.123.0.254 a\n");
  auto dup = docker({"network", "create", "tnet"});
  EXPECT_NE(dup.status, 0);
  EXPECT_NE(dup.err.find("network with name tnet already exists"), std::string::npos) << dup.err;
  auto overlap = docker({"network", "create", "--subnet", "10.123.0.0/16", "other"});
  EXPECT_NE(overlap.status, 0);
  EXPECT_NE(overlap.err.find("Pool overlaps with other one on this address space"), std::string::npos) << overlap.err;
  auto bad = docker({"network", "create", "--subnet", "10.123.0.1/33", "bad"});
  EXPECT_NE(bad.status, 0);
  auto gw_outside = docker({"network", "create", "--subnet", "10.124.0.0/24", "--gateway", "10.125.0.1", "bad2"});
  EXPECT_NE(gw_outside.status, 0);
  auto ls = docker({"network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"});
  EXPECT_EQ(ls.out, "tnet\n") << "failed creates left networks behind";

  auto auto_net = docker({"network", "create", "--internal", "auto1"});
  ASSERT_EQ(auto_net.status, 0) << auto_net.err;
  auto internal = docker({"network", "inspect", "-f", "{{.Internal}}", "auto1"});
  EXPECT_EQ(internal.out, "true\n");
  auto prune = docker({"network", "prune", "-f", "--filter", "label=team=a"});
  ASSERT_EQ(prune.status, 0) << prune.err;
  EXPECT_NE(prune.out.find("tnet"), std::string::npos) << prune.out;
  EXPECT_EQ(prune.out.find("auto1"), std::string::npos) << prune.out;
  EXPECT_FALSE(link_exists("br-berthtest"));
  auto rm = docker({"network", "rm", "auto1"});
  ASSERT_EQ(rm.status, 0) << rm.err;
  auto missing = docker({"network", "rm", "nope"});
  EXPECT_NE(missing.status, 0);
  // 20.10 turns the 404 into its own words.
  EXPECT_TRUE(missing.err.find("network nope not found") != std::string::npos ||
              missing.err.find("No such network: nope") != std::string::npos)
      << missing.err;
}

INSTANTIATE_TEST_SUITE_P(Clients, NetworkCli, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
