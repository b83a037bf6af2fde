// `docker network` commands side by side against berthd and a private dockerd (both inside a
// network namespace of the test's own, since dockerd's bridges and routes would otherwise be
// the host's), with both stock clients: what they print, the inspect document's keys, and the
// errors for a duplicate name, an overlapping subnet, an unknown network, a predefined network,
// a network in use, an address outside the subnet and a connect of a host-mode container.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/compare_helpers.hpp"
#include "api/dockerd_fixture.hpp"
#include "api/test_netns.hpp"

using namespace berth::api::test;
using nlohmann::json;

TEST(NetworkCompare, DockerNetworkCommandsPrintWhatTheyPrintAgainstDockerd) {
  ASSERT_TRUE(berth::test::have_program("dockerd"));
  ASSERT_FALSE(busybox_archive().empty());
  TestNetns ns("berth-netcmp");
  ASSERT_TRUE(ns.ok());
  Dockerd dockerd({.prefix = ns.prefix(), .networking = false});
  ASSERT_TRUE(dockerd.ready()) << dockerd.log();
  Berthd berthd({}, "{}", ns.prefix());
  ASSERT_TRUE(berthd.ready()) << berthd.log();
  ASSERT_EQ(dockerd.docker({"load", "-i", busybox_archive()}).status, 0);
  ASSERT_EQ(berthd.docker({"load", "-i", busybox_archive()}).status, 0);

  for (const std::string& client : {std::string(kDocker28), std::string(kDocker20)}) {
    SCOPED_TRACE(client);
    auto b = [&](std::vector<std::string> a) { return berthd.docker(std::move(a), client); };
    auto d = [&](std::vector<std::string> a) { return dockerd.docker(std::move(a), client); };
    auto same = [&](std::vector<std::string> args) {
      auto rb = b(args), rd = d(args);
      std::string cmd;
      for (auto& a : args) cmd += a + " ";
      EXPECT_EQ(rb.status, rd.status) << cmd << "\nberth: " << rb.err << "\ndockerd: " << rd.err;
      EXPECT_EQ(no_ids(rb.err), no_ids(rd.err)) << cmd;
      EXPECT_EQ(no_ids(rb.out), no_ids(rd.out)) << cmd;
    };
    same({"network", "create", "--subnet", "10.131.0.0/24", "--gateway", "10.131.0.1", "--label", "k=v", "cmp"});
    same({"network", "ls", "--filter", "name=cmp", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}}"});
    same({"network", "inspect", "cmp", "-f", "{{.Name}} {{.Driver}} {{.Scope}} {{json .IPAM.Config}} {{json .Labels}}"});
    // Every key dockerd's inspect has, berth's has, with the same type (null and empty alike).
    auto jb = json::parse(b({"network", "inspect", "cmp"}).out, nullptr, false);
    auto jd = json::parse(d({"network", "inspect", "cmp"}).out, nullptr, false);
    ASSERT_TRUE(jb.is_array() && jd.is_array() && !jb.empty() && !jd.empty());
    expect_keys_of(jb[0], jd[0], "inspect");
    same({"network", "create", "cmp"});
    same({"network", "create", "--subnet", "10.131.0.128/25", "overlap"});
    same({"network", "rm", "nosuch"});
    same({"network", "rm", "host"});
    same({"network", "inspect", "nosuch"});
    same({"network", "connect", "cmp", "nosuch"});
    // In use: a running container on it (removed again at the end of the round).
    ASSERT_EQ(b({"run", "-d", "--name", "inuse", "--network", "cmp", "busybox", "sleep", "100"}).status, 0);
    ASSERT_EQ(d({"run", "-d", "--name", "inuse", "--network", "cmp", "busybox", "sleep", "100"}).status, 0);
    same({"network", "rm", "cmp"});
    same({"network", "connect", "cmp", "inuse"});
    same({"network", "disconnect", "host", "inuse"});
    ASSERT_EQ(b({"run", "-d", "--name", "onhost", "--network", "host", "busybox", "sleep", "100"}).status, 0);
    ASSERT_EQ(d({"run", "-d", "--name", "onhost", "--network", "host", "busybox", "sleep", "100"}).status, 0);
    same({"network", "connect", "cmp", "onhost"});
    same({"network", "disconnect", "cmp", "onhost"});
    for (auto* rm : {"inuse", "onhost"}) {
      b({"rm", "-f", rm});
      d({"rm", "-f", rm});
    }
    same({"network", "rm", "cmp"});
    same({"network", "ls", "--filter", "name=cmp", "--format", "{{.Name}}"});
  }
}
