// Containers on an external OCI runtime (Debian's runc, configured in daemon.json) through a
// private berthd and the stock docker client: output and exit codes, stop/kill/rm -f through
// the same runtime, nothing left behind (runc state, mount, cgroup, process), and an unknown
// runtime refused with dockerd's error and nothing created.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "engine/traces.hpp"
#include "support/support.hpp"

using namespace berth::api::test;
using namespace berth::engine::test;
using berth::test::wait_until;
namespace fs = std::filesystem;

namespace {

const std::string kRunc = "/usr/sbin/runc";

using berth::test::first_line;

class ExternalRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kRunc)) GTEST_SKIP() << "runc is not installed";
    ASSERT_TRUE(berth::test::have_program(kDocker28));
    ASSERT_FALSE(busybox_archive().empty());
    d = std::make_unique<Berthd>(std::vector<std::string>{},
                                 R"({"runtimes": {"runc": {"path": ")" + kRunc + R"(", "runtimeArgs": ["--debug=false"]}}})");
    ASSERT_TRUE(d->ready()) << d->log();
    auto r = d->docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    if (!d) return;
    std::istringstream ss(d->docker({"ps", "-aq", "--no-trunc"}).out);
    for (std::string id; std::getline(ss, id);)
      if (!id.empty()) d->docker({"rm", "-f", id});
  }
  // runc's own view: what its state root still holds for the container.
  bool runc_knows(const std::string& id) { return fs::exists(d->path("exec/runtimes/runc/" + id)); }
  // Once it has ended: no runc state, cgroup, process or shim state.
  void expect_no_runtime_trace(const std::string& id) {
    EXPECT_TRUE(wait_until([&] { return !process_with(id); }, std::chrono::seconds(10))) << id;
    EXPECT_FALSE(runc_knows(id));
    EXPECT_EQ(cgroup_left(id), "");
    EXPECT_FALSE(fs::exists(d->path("exec/containers/" + id)));
  }
  // Once removed: nothing at all.
  void expect_no_trace(const std::string& id) {
    expect_no_runtime_trace(id);
    EXPECT_FALSE(mounted(id));
    EXPECT_FALSE(fs::exists(d->path("data/containers/" + id)));
  }
  std::unique_ptr<Berthd> d;
};

}  // namespace

TEST_F(ExternalRuntime, RunPrintsAndPropagatesExitCode) {
  auto r = d->docker({"run", "--rm", "--runtime", "runc", "busybox", "echo", "hi"});
  EXPECT_EQ(r.status, 0) << r.err << d->log();
  EXPECT_EQ(r.out, "hi\n");
  auto c = d->docker({"run", "--name", "seven", "--runtime", "runc", "busybox", "sh", "-c", "echo err >&2; exit 7"});
  EXPECT_EQ(c.status, 7) << c.err;
  EXPECT_NE(c.err.find("err"), std::string::npos);
  auto insp = d->docker({"inspect", "-f", "{{.HostConfig.Runtime}} {{.State.ExitCode}} {{.Id}}", "seven"});
  std::istringstream in(insp.out);
  std::string runtime, code, id;
  in >> runtime >> code >> id;
  EXPECT_EQ(runtime, "runc");
  EXPECT_EQ(code, "7");
  expect_no_runtime_trace(id);
  EXPECT_EQ(d->docker({"rm", id}).status, 0);
  expect_no_trace(id);
  auto info = nlohmann::json::parse(d->docker({"info", "--format", "{{json .Runtimes}}"}).out);
  EXPECT_TRUE(info.contains("berth"));
  EXPECT_EQ(info["runc"]["path"], kRunc);
}

TEST_F(ExternalRuntime, StopKillAndForcedRemoveUseTheRuntime) {
  auto run = [&] {
    auto r = d->docker({"run", "-d", "--runtime", "runc", "busybox", "sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"});
    EXPECT_EQ(r.status, 0) << r.err << d->log();
    std::string id = first_line(r.out);
    EXPECT_TRUE(runc_knows(id));
    EXPECT_EQ(d->docker({"inspect", "-f", "{{.State.Running}}", id}).out, "true\n");
    return id;
  };
  std::string a = run();
  auto stop = d->docker({"stop", "-t", "5", a});
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_EQ(d->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", a}).out, "exited 0\n");
  expect_no_runtime_trace(a);
  EXPECT_EQ(d->docker({"rm", a}).status, 0);
  expect_no_trace(a);

  std::string b = run();
  auto kill = d->docker({"kill", b});
  EXPECT_EQ(kill.status, 0) << kill.err;
  EXPECT_TRUE(wait_until([&] { return d->docker({"inspect", "-f", "{{.State.Status}}", b}).out == "exited\n"; },
                         std::chrono::seconds(10)));
  EXPECT_EQ(d->docker({"inspect", "-f", "{{.State.ExitCode}}", b}).out, "137\n");
  expect_no_runtime_trace(b);

  std::string c = run();
  auto rm = d->docker({"rm", "-f", c});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_NE(d->docker({"inspect", c}).status, 0);
  expect_no_trace(c);
}

TEST_F(ExternalRuntime, UnknownRuntimeAndTtyRefused) {
  auto r = d->docker({"run", "--runtime", "nosuch", "busybox", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("unknown or invalid runtime name: nosuch"), std::string::npos) << r.err;
  auto raw = raw_request(d->socket_path(), "POST", "/containers/create",
                         R"({"Image": "busybox", "HostConfig": {"Runtime": "nosuch"}})");
  EXPECT_EQ(raw.status, 400);
  auto t = d->docker({"create", "-t", "--runtime", "runc", "busybox", "sh"});
  EXPECT_NE(t.status, 0);
  EXPECT_NE(t.err.find("TTY"), std::string::npos) << t.err;
  EXPECT_EQ(d->docker({"ps", "-aq"}).out, "");
  EXPECT_TRUE(fs::is_empty(d->path("data/containers")));
}

TEST(ExternalRuntimeDefault, DefaultRuntimeFromDaemonJson) {
  if (!fs::exists(kRunc)) GTEST_SKIP() << "runc is not installed";
  ASSERT_FALSE(busybox_archive().empty());
  Berthd d({}, R"({"default-runtime": "runc", "runtimes": {"runc": {"path": ")" + kRunc + R"("}}})");
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  EXPECT_EQ(d.docker({"info", "--format", "{{.DefaultRuntime}}"}).out, "runc\n");
  auto r = d.docker({"run", "--name", "dflt", "busybox", "echo", "on runc"});
  EXPECT_EQ(r.status, 0) << r.err << d.log();
  EXPECT_EQ(r.out, "on runc\n");
  EXPECT_EQ(d.docker({"inspect", "-f", "{{.HostConfig.Runtime}}", "dflt"}).out, "runc\n");
  // Asked for by name, berth's own runtime is still there.
  auto b = d.docker({"run", "--rm", "--runtime", "berth", "busybox", "echo", "on berth"});
  EXPECT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out, "on berth\n");
  EXPECT_EQ(d.docker({"rm", "dflt"}).status, 0);
}

TEST_F(ExternalRuntime, ExecThroughRuncExec) {
  auto r = d->docker({"run", "-d", "--runtime", "runc", "busybox", "sleep", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = r.out.substr(0, r.out.find('\n'));
  auto e = d->docker({"exec", "-e", "X=1", "-u", "nobody", id, "sh", "-c", "echo $X $(id -u); exit 4"});
  EXPECT_EQ(e.status, 4) << e.err << d->log();
  EXPECT_EQ(e.out, "1 65534\n");
  EXPECT_EQ(d->docker({"exec", "-i", id, "cat"}, kDocker28, "in").out, "in");
  EXPECT_EQ(d->docker({"rm", "-f", id}).status, 0);
  expect_no_runtime_trace(id);
}
