// Pulls through registry mirrors (image library): mirrors are tried in order, one that is down
// or lacks the image hands over to the next, the image keeps its own name, and when every
// endpoint fails the error names each attempt.
#include <gtest/gtest.h>

#include "image/distribution.hpp"
#include "image/registry_fixture.hpp"
#include "support/support.hpp"

using namespace berth::image;
using namespace berth::image::test;

namespace {

struct Mirrors : ::testing::Test {
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program("docker-registry")) << "docker-registry is not installed";
    ASSERT_TRUE(full.ready()) << full.log();
    ASSERT_TRUE(empty.ready()) << empty.log();
    berth::test::make_busybox_rootfs(tmp / "rootfs");
    auto local = ImageService::open(tmp / "local");
    ASSERT_TRUE(local);
    auto img = (*local)->import(tmp / "rootfs", {.tag = "seed:1", .message = "", .platform = {}});
    ASSERT_TRUE(img) << img.error().what();
    id = img->id;
    auto pushed = push_image(**local, "seed:1", full.host() + "/mirrored/busybox:1");
    ASSERT_TRUE(pushed) << pushed.error().what();
  }
  berth::test::TempDir tmp{"berth-mirrors"};
  Registry full{tmp / "full"}, empty{tmp / "empty"};
  Digest id;
};

}  // namespace

TEST_F(Mirrors, FallThroughToTheMirrorThatHasTheImage) {
  auto svc = ImageService::open(tmp / "pull");
  ASSERT_TRUE(svc);
  PullOptions po;
  po.mirrors = {"http://127.0.0.1:" + std::to_string(free_port()), "http://" + empty.host(), "http://" + full.host()};
  // upstream.invalid cannot be resolved: only a mirror can serve this name.
  auto img = pull_image(**svc, "upstream.invalid/mirrored/busybox:1", po);
  ASSERT_TRUE(img) << img.error().what();
  EXPECT_EQ(img->id, id);
  EXPECT_EQ(img->repo_tags, std::vector<std::string>{"upstream.invalid/mirrored/busybox:1"});
  ASSERT_EQ(img->repo_digests.size(), 1u);
  EXPECT_TRUE(img->repo_digests[0].starts_with("upstream.invalid/mirrored/busybox@sha256:")) << img->repo_digests[0];
}

TEST_F(Mirrors, EveryAttemptIsNamedWhenAllFail) {
  auto svc = ImageService::open(tmp / "pull");
  ASSERT_TRUE(svc);
  PullOptions po;
  po.mirrors = {"http://" + empty.host()};
  auto img = pull_image(**svc, "upstream.invalid/mirrored/busybox:1", po);
  ASSERT_FALSE(img);
  auto e = img.error().what();
  EXPECT_NE(e.find("pull upstream.invalid/mirrored/busybox:1: mirror http://" + empty.host() + ": "), std::string::npos) << e;
  EXPECT_NE(e.find("MANIFEST_UNKNOWN"), std::string::npos) << e;
  EXPECT_NE(e.find("; upstream.invalid: "), std::string::npos) << e;
  EXPECT_TRUE((*svc)->list()->empty());
}
