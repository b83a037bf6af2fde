// The engine suites' fixture: a private berthd with the busybox image loaded; every
// container left at the end is removed.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "engine/traces.hpp"

namespace berth::engine::test {

using api::test::Berthd;
using api::test::kDocker28;
using api::test::busybox_archive;

using berth::test::first_line;

class Containers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(kDocker28));
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d->ready()) << d->log();
    auto r = d->docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    auto ps = d->docker({"ps", "-aq", "--no-trunc"});
    std::istringstream ss(ps.out);
    for (std::string id; std::getline(ss, id);)
      if (!id.empty()) d->docker({"rm", "-f", id});
  }
  // Gone without a trace: no mount, cgroup, shim, DB row or directory.
  void expect_no_trace(const std::string& id) {
    EXPECT_FALSE(mounted(id)) << id;
    EXPECT_FALSE(cgroup_exists(id)) << id;
    EXPECT_TRUE(berth::test::wait_until([&] { return !shim_running(id); }, std::chrono::seconds(10)));
    EXPECT_FALSE(std::filesystem::exists(d->path("data/containers/" + id)));
    EXPECT_FALSE(std::filesystem::exists(d->path("exec/containers/" + id)));
    EXPECT_NE(d->docker({"inspect", id}).status, 0);
  }
  std::unique_ptr<Berthd> d = std::make_unique<Berthd>();
};

}  // namespace berth::engine::test
