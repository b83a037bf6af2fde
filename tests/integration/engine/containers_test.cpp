// Containers through a private berthd with the stock docker 28.x client: run --rm, run -d +
// logs + stop + rm, exit codes, a container that outlives kill -9 of berthd, and removal
// that leaves no mount, cgroup, shim process or DB row.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "engine/containers_fixture.hpp"

using namespace berth::api::test;
using namespace berth::engine::test;
using berth::test::wait_until;
namespace fs = std::filesystem;


TEST_F(Containers, RunRmEchoes) {
  auto r = d->docker({"run", "--rm", "busybox", "echo", "hi"});
  EXPECT_EQ(r.status, 0) << r.err << d->log();
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(first_line(d->docker({"ps", "-aq"}).out), "");
}

TEST_F(Containers, ExitCodesAndStderr) {
  auto r = d->docker({"run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "out\n");
  EXPECT_NE(r.err.find("err"), std::string::npos);
  auto named = d->docker({"run", "--name", "keep", "-e", "X=42", "-w", "/tmp", "busybox", "sh", "-c", "echo $X $(pwd)"});
  EXPECT_EQ(named.status, 0) << named.err;
  EXPECT_EQ(named.out, "42 /tmp\n");
  auto code = d->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "keep"});
  EXPECT_EQ(first_line(code.out), "exited 0") << code.err;
  auto id = first_line(d->docker({"inspect", "-f", "{{.Id}}", "keep"}).out);
  EXPECT_EQ(d->docker({"rm", "keep"}).status, 0);
  expect_no_trace(id);
}

TEST_F(Containers, DetachedLogsStopRemove) {
  auto r = d->docker({"run", "-d", "busybox", "sh", "-c", "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done"});
  ASSERT_EQ(r.status, 0) << r.err << d->log();
  std::string id = first_line(r.out);
  ASSERT_EQ(id.size(), 64u);
  EXPECT_TRUE(wait_until([&] { return d->docker({"logs", id}).out == "started\n"; }, std::chrono::seconds(10)));
  auto ps = d->docker({"ps", "-q"});
  EXPECT_EQ(first_line(ps.out), id.substr(0, 12));
  EXPECT_EQ(d->docker({"inspect", "-f", "{{.State.Running}}", id}).out, "true\n");
  EXPECT_TRUE(cgroup_exists(id));  // so that expect_no_trace's check means something
  EXPECT_TRUE(shim_running(id));
  auto stop = d->docker({"stop", "-t", "5", id});
  EXPECT_EQ(stop.status, 0) << stop.err;
  EXPECT_EQ(d->docker({"logs", id}).out, "started\nbye\n");
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id}).out), "exited 0");
  auto rm = d->docker({"rm", id});
  EXPECT_EQ(rm.status, 0) << rm.err;
  expect_no_trace(id);
}

TEST_F(Containers, UnknownImageAndRunningRemoval) {
  auto r = d->docker({"run", "--rm", "--pull", "never", "nosuchimage", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("No such image"), std::string::npos) << r.err;
  auto dd = d->docker({"run", "-d", "busybox", "sleep", "100"});
  ASSERT_EQ(dd.status, 0) << dd.err;
  std::string id = first_line(dd.out);
  auto rm = d->docker({"rm", id});
  EXPECT_NE(rm.status, 0);
  EXPECT_NE(rm.err.find("container is running"), std::string::npos) << rm.err;
  EXPECT_EQ(d->docker({"rm", "-f", id}).status, 0);
  expect_no_trace(id);
}

TEST_F(Containers, SurvivesKillOfBerthd) {
  auto a = d->docker({"run", "-d", "busybox", "sleep", "100"});
  auto b = d->docker({"run", "-d", "busybox", "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; echo done; exit 7"});
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  std::string ida = first_line(a.out), idb = first_line(b.out);
  d->kill9();
  EXPECT_TRUE(shim_running(ida));
  EXPECT_TRUE(shim_running(idb));
  // b ends while berthd is down.
  berth::test::write_text(d->path("data/containers/" + idb + "/bundle/rootfs/tmp/go"), "");
  EXPECT_TRUE(wait_until([&] { return !shim_running(idb); }, std::chrono::seconds(10)));
  ASSERT_TRUE(d->start()) << d->log();
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}}", ida}).out), "running");
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", idb}).out), "exited 7");
  EXPECT_EQ(d->docker({"logs", idb}).out, "done\n");
  // The restored container is still under berthd's control.
  EXPECT_EQ(d->docker({"rm", "-f", ida}).status, 0);
  expect_no_trace(ida);
  EXPECT_EQ(d->docker({"rm", idb}).status, 0);
  expect_no_trace(idb);
}

TEST_F(Containers, BerthCliRun) {
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {berth::test::bin("berth"), "-H", d->host()});
    return berth::test::run(args, "", std::chrono::seconds(60));
  };
  auto r = berth({"run", "--rm", "busybox", "sh", "-c", "echo hi; exit 4"});
  EXPECT_EQ(r.status, 4) << r.err;
  EXPECT_EQ(r.out, "hi\n");
  auto env = berth({"run", "--name", "cli", "-e", "A=1", "-w", "/tmp", "busybox", "sh", "-c", "echo $A $(pwd)"});
  EXPECT_EQ(env.status, 0) << env.err;
  EXPECT_EQ(env.out, "1 /tmp\n");
  EXPECT_EQ(berth({"logs", "cli"}).out, "1 /tmp\n");
  EXPECT_EQ(berth({"rm", "cli"}).status, 0);
  auto missing = berth({"run", "--rm", "busybox", "nosuchcmd"});
  EXPECT_EQ(missing.status, 127) << missing.err;
  EXPECT_EQ(berth({"run", "--rm", "nosuchimage", "true"}).status, 125);
  auto det = berth({"run", "-d", "busybox", "sleep", "50"});
  ASSERT_EQ(det.status, 0) << det.err;
  std::string id = first_line(det.out);
  EXPECT_EQ(berth({"stop", "-t", "1", id}).status, 0);
  EXPECT_EQ(berth({"wait", id}).out, "137\n");
  EXPECT_EQ(berth({"rm", id}).status, 0);
  expect_no_trace(id);
  EXPECT_EQ(first_line(d->docker({"ps", "-aq"}).out), "");
}
