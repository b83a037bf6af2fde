// 100 `docker run --rm` from 10 clients at once: every run succeeds and afterwards nothing is
// left (no container, mount, cgroup or shim) and berthd holds no more fds than before and
// has not grown.
#include <gtest/gtest.h>
#include <net/if.h>

#include <atomic>
#include <thread>

#include "engine/containers_fixture.hpp"

using namespace berth::engine::test;
using berth::test::wait_until;
using std::chrono::seconds;

namespace {

// n runs from each of `clients` threads; returns the failures' stderr.
std::vector<std::string> run_parallel(const Berthd& d, int clients, int n) {
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      for (int i = 0; i < n; ++i) {
        std::string word = "c" + std::to_string(c) + "r" + std::to_string(i);
        auto r = d.docker({"run", "--rm", "busybox", "echo", word});
        if (r.status != 0 || r.out != word + "\n") {
          std::lock_guard lk(mu);
          failures.push_back(word + ": status " + std::to_string(r.status) + " out '" + r.out + "' err " + r.err);
        }
      }
    });
  for (auto& t : threads) t.join();
  return failures;
}

int count_mounts(const std::string& needle) {
  std::ifstream in("/proc/self/mountinfo");
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

// Cgroups left in any hierarchy for the given containers.
std::vector<std::string> cgroups_left(const std::vector<std::string>& ids) {
  std::vector<std::string> left;
  for (auto& id : ids)
    if (cgroup_exists(id)) left.push_back(id);
  return left;
}

// Every container this daemon created since `since` (unix seconds), from its event log.
std::vector<std::string> created_since(const Berthd& d, long since) {
  auto r = d.docker({"events", "--since", std::to_string(since), "--until", std::to_string(time(nullptr) + 1),
                     "--filter", "type=container", "--filter", "event=create", "--format", "{{.ID}}"});
  std::vector<std::string> ids;
  std::istringstream ss(r.out);
  for (std::string id; std::getline(ss, id);)
    if (!id.empty()) ids.push_back(id);
  return ids;
}

int veth_count() {
  int n = 0;
  if (auto* all = if_nameindex()) {
    for (auto* i = all; i->if_index; ++i) n += std::string(i->if_name).starts_with("veth");
    if_freenameindex(all);
  }
  return n;
}

}  // namespace

TEST_F(Containers, HundredParallelRunsLeaveNothing) {
  int veths = veth_count();
  // Warm up: the first runs fill caches (seccomp, image config) that are meant to stay, and
  // malloc's per-thread arenas for as many parallel creates as the measured runs (each one
  // builds a spec with the resolved seccomp profile): their growth is not a leak.
  auto warm = run_parallel(*d, 10, 2);
  ASSERT_TRUE(warm.empty()) << warm.front();
  ASSERT_TRUE(wait_until([&] { return d->docker({"ps", "-aq"}).out.empty(); }, seconds(10)));
  // berthd deletes the veths of exited containers in the background: counted once they are gone.
  ASSERT_TRUE(wait_until([&] { return veth_count() == veths; }, seconds(10)));
  int fds_before = d->fd_count();
  long start = time(nullptr);
  long rss_before = rss_kib(d->pid());

  auto failures = run_parallel(*d, 10, 10);
  EXPECT_TRUE(failures.empty()) << failures.size() << " runs failed, first: " << failures.front();

  // --rm removal happens as each container exits: bounded wait for the last ones.
  EXPECT_TRUE(wait_until([&] { return d->docker({"ps", "-aq"}).out.empty(); }, seconds(20)))
      << d->docker({"ps", "-a"}).out;
  EXPECT_EQ(count_mounts(d->path("data")), 0);
  EXPECT_TRUE(wait_until([&] { return shims_running(d->path("exec")) == 0; }, seconds(10)));
  auto ids = created_since(*d, start);
  EXPECT_GE(ids.size(), 100u);  // the warm-up runs of the same second too
  auto left = cgroups_left(ids);
  EXPECT_TRUE(left.empty()) << left.size() << " cgroups left, first: " << left.front();
  EXPECT_TRUE(std::filesystem::is_empty(d->path("data/containers")));
  EXPECT_TRUE(std::filesystem::is_empty(d->path("exec/containers")));
  for (auto& e : std::filesystem::directory_iterator(d->path("exec/runtime"))) ADD_FAILURE() << "runtime state left: " << e.path();
  EXPECT_TRUE(wait_until([&] { return veth_count() == veths; }, seconds(10))) << "veths left behind";
  EXPECT_TRUE(wait_until([&] { return d->fd_count() <= fds_before; }, seconds(5)))
      << "berthd fds: " << fds_before << " before, " << d->fd_count() << " after";
  // Allocator caches may keep a little; a leak per run (100 runs) would show as far more.
  long rss_after = rss_kib(d->pid());
  EXPECT_LT(rss_after, rss_before + 2048) << "berthd RSS " << rss_before << " KiB before, " << rss_after << " after";
}
