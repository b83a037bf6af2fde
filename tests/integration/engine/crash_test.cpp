// Crashes: kill -9 of berthd while ten containers run and log (live restore), and kill -9 of
// one shim, with berthd down and with it up (the container dies with its shim and is
// recorded as exited 137; nothing is orphaned).
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/containers_fixture.hpp"

using namespace berth::engine::test;
using berth::test::wait_until;
using std::chrono::seconds;

namespace {

pid_t shim_pid(const Berthd& d, const std::string& id) {
  auto j = nlohmann::json::parse(berth::test::read_text(d.path("exec/containers/" + id + "/shim.json")), nullptr, false);
  return j.is_object() ? j.value("Pid", 0) : 0;
}

pid_t container_pid(const Berthd& d, const std::string& id) {
  auto out = first_line(d.docker({"inspect", "-f", "{{.State.Pid}}", id}).out);
  return out.empty() ? 0 : std::stoi(out);
}

// The numbers a counting container printed, in order.
std::vector<int> counts(const std::string& out) {
  std::vector<int> v;
  std::istringstream ss(out);
  for (std::string line; std::getline(ss, line);)
    if (!line.empty()) v.push_back(std::stoi(line));
  return v;
}

bool unbroken(const std::vector<int>& v) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != static_cast<int>(i)) return false;
  return !v.empty();
}

const char* kCounter = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.02; done";

}  // namespace

TEST_F(Containers, TenContainersOutliveKilledDaemon) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto r = d->docker({"run", "-d", "busybox", "sh", "-c", kCounter});
    ASSERT_EQ(r.status, 0) << r.err;
    ids.push_back(first_line(r.out));
  }
  auto ender = d->docker({"run", "-d", "busybox", "sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.02; done; exit 5"});
  ASSERT_EQ(ender.status, 0) << ender.err;
  std::string ended = first_line(ender.out);

  d->kill9();
  // The logs keep growing with nobody to talk to.
  for (auto& id : ids) {
    auto log = d->path("data/containers/" + id + "/" + id + "-json.log");
    auto size = berth::test::read_text(log).size();
    EXPECT_TRUE(wait_until([&] { return berth::test::read_text(log).size() > size + 100; }, seconds(10))) << id;
  }
  berth::test::write_text(d->path("data/containers/" + ended + "/bundle/rootfs/tmp/go"), "");
  ASSERT_TRUE(wait_until([&] { return !shim_running(ended); }, seconds(10)));

  ASSERT_TRUE(d->start()) << d->log();
  auto ps = d->docker({"ps", "-q", "--no-trunc"});
  for (auto& id : ids) {
    EXPECT_NE(ps.out.find(id), std::string::npos) << id << " not listed running:\n" << ps.out;
    EXPECT_EQ(d->docker({"stop", "-t", "0", id}).status, 0);
    auto v = counts(d->docker({"logs", id}).out);
    EXPECT_TRUE(unbroken(v)) << id << ": " << v.size() << " lines, not 0..n in order";
    EXPECT_GT(v.size(), 20u) << id;
  }
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", ended}).out), "exited 5");
}

TEST_F(Containers, KilledShimTakesItsContainerWhileDaemonIsDown) {
  auto r = d->docker({"run", "-d", "busybox", "sleep", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  pid_t shim = shim_pid(*d, id), init = container_pid(*d, id);
  ASSERT_TRUE(process_alive(shim));
  ASSERT_TRUE(process_alive(init));
  d->kill9();  // nobody is left to clean up but the kernel
  ASSERT_EQ(kill(shim, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(init); }, seconds(10))) << "container outlived its shim";
  ASSERT_TRUE(d->start()) << d->log();
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id}).out), "exited 137");
  EXPECT_EQ(d->docker({"rm", id}).status, 0);
  expect_no_trace(id);
}

TEST_F(Containers, KilledShimIsSeenByRunningDaemon) {
  auto r = d->docker({"run", "-d", "busybox", "sleep", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  pid_t shim = shim_pid(*d, id), init = container_pid(*d, id);
  auto waiter = std::async(std::launch::async, [&] { return d->docker({"wait", id}); });
  ASSERT_EQ(kill(shim, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(init); }, seconds(10)));
  auto w = waiter.get();
  EXPECT_EQ(first_line(w.out), "137") << w.err;
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}}", id}).out), "exited");
  EXPECT_EQ(d->docker({"rm", id}).status, 0);
  expect_no_trace(id);
}
