// --mount, -v, --tmpfs and --volumes-from as the docker client turns them into the create body.
#include <gtest/gtest.h>

#include "mount_flags.hpp"

using namespace berth::cli;
using nlohmann::json;

TEST(MountFlag, BindWithOptions) {
  auto m = parse_mount_flag("type=bind,src=/h,dst=/c,readonly,bind-propagation=rslave");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, (json{{"Type", "bind"}, {"Source", "/h"}, {"Target", "/c"}, {"ReadOnly", true},
                      {"BindOptions", {{"Propagation", "rslave"}}}}));
}

TEST(MountFlag, VolumeIsTheDefaultType) {
  auto m = parse_mount_flag("source=v,target=/d,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs,volume-opt=device=tmpfs");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)["Type"], "volume");
  EXPECT_EQ((*m)["VolumeOptions"]["NoCopy"], true);
  EXPECT_EQ((*m)["VolumeOptions"]["Labels"]["a"], "b");
  EXPECT_EQ((*m)["VolumeOptions"]["DriverConfig"]["Options"], (json{{"type", "tmpfs"}, {"device", "tmpfs"}}));
}

TEST(MountFlag, TmpfsSizeAndMode) {
  auto m = parse_mount_flag("type=tmpfs,destination=/t,tmpfs-size=2m,tmpfs-mode=1770");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ((*m)["TmpfsOptions"], (json{{"SizeBytes", 2 << 20}, {"Mode", 01770}}));
}

TEST(MountFlag, BadValuesGetTheClientsMessages) {
  EXPECT_EQ(parse_mount_flag("type=volume,target=/x,bogus=1").error().message, "unexpected key 'bogus' in 'bogus=1'");
  EXPECT_EQ(parse_mount_flag("type=bind,source=/x").error().message, "target is required");
  EXPECT_EQ(parse_mount_flag("type=bind,target=/x,src").error().message, "invalid field 'src' must be a key=value pair");
  EXPECT_EQ(parse_mount_flag("type=tmpfs,target=/x,tmpfs-mode=9").error().message, "invalid value for tmpfs-mode: 9");
  EXPECT_EQ(parse_mount_flag("type=volume,target=/x,bind-propagation=shared").error().message,
            "cannot mix 'bind-*' options with mount type 'volume'");
  EXPECT_EQ(parse_mount_flag("target=/x,readonly=maybe").error().message, "invalid value for readonly: maybe");
}

TEST(MountFlags, IntoTheCreateBody) {
  MountFlags f;
  f.volumes = {"/anon", "v:/d:ro", "/h:/c"};
  f.mounts = {"type=tmpfs,target=/t"};
  f.tmpfs = {"/run:size=1m", "/tmp"};
  f.volumes_from = {"donor:ro"};
  json body = {{"HostConfig", json::object()}};
  ASSERT_TRUE(apply_mount_flags(f, body));
  EXPECT_EQ(body["Volumes"], (json{{"/anon", json::object()}}));
  EXPECT_EQ(body["HostConfig"]["Binds"], (json{"v:/d:ro", "/h:/c"}));
  EXPECT_EQ(body["HostConfig"]["Tmpfs"], (json{{"/run", "size=1m"}, {"/tmp", ""}}));
  EXPECT_EQ(body["HostConfig"]["VolumesFrom"], (json{"donor:ro"}));
  EXPECT_EQ(body["HostConfig"]["Mounts"][0]["Type"], "tmpfs");
  MountFlags bad;
  bad.volumes = {":/x"};
  json b2 = {{"HostConfig", json::object()}};
  auto r = apply_mount_flags(bad, b2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "invalid spec: :/x: empty section between colons");
}
