// The container's root filesystem: an overlay over the image's layers. A `--rm` container's
// upper layer is mounted "volatile" (no syncs, it is thrown away); any other container's is
// not, so its writes survive a crash and a later `start`.
#include <gtest/gtest.h>

#include "engine/containers_fixture.hpp"

using namespace berth::engine::test;

namespace {

// The mount options of the overlay mounted for container id, "" when none is.
std::string overlay_options(const std::string& id) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);)
    if (line.find(id) != std::string::npos && line.find(" - overlay ") != std::string::npos)
      return line.substr(line.find(" - overlay "));
  return "";
}

}  // namespace

TEST_F(Containers, RemovedContainersSkipSyncs) {
  auto rm = d->docker({"run", "-d", "--rm", "busybox", "sleep", "100"});
  auto keep = d->docker({"run", "-d", "busybox", "sleep", "100"});
  ASSERT_EQ(rm.status, 0) << rm.err;
  ASSERT_EQ(keep.status, 0) << keep.err;
  auto rm_opts = overlay_options(first_line(rm.out)), keep_opts = overlay_options(first_line(keep.out));
  ASSERT_FALSE(rm_opts.empty());
  ASSERT_FALSE(keep_opts.empty());
  EXPECT_NE(rm_opts.find("volatile"), std::string::npos) << rm_opts;
  EXPECT_EQ(keep_opts.find("volatile"), std::string::npos) << keep_opts;
}

TEST_F(Containers, AutoRemoveOfWrongTypeIsRefused) {
  auto r = berth::api::test::raw_request(d->socket_path(), "POST", "/v1.45/containers/create",
                                         R"({"Image":"busybox","HostConfig":{"AutoRemove":"yes"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("AutoRemove of type bool"), std::string::npos) << r.body;
  EXPECT_TRUE(std::filesystem::is_empty(d->path("data/containers")));
}
