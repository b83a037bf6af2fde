#include "engine/build/run_mount.hpp"

#include <gtest/gtest.h>

#include "engine/build/go_duration.hpp"

using namespace berth::engine::build;

namespace {

std::string err(std::string_view v) {
  auto r = parse_run_mount(v);
  EXPECT_FALSE(r) << v;
  return r ? "" : r.error().message;
}

}  // namespace

TEST(RunMount, CacheMounts) {
  auto m = parse_run_mount("type=cache,target=/root/.cache/go-build");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, MountType::Cache);
  EXPECT_EQ(m->target, "/root/.cache/go-build");
  EXPECT_EQ(m->id, "/root/.cache/go-build");  // the id defaults to the target
  EXPECT_FALSE(m->readonly);
  EXPECT_EQ(m->sharing, CacheSharing::Shared);
  m = parse_run_mount("type=cache,dst=/var/cache/apt,id=apt,sharing=locked,mode=0700,uid=1000,gid=1001,from=base,source=/c");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->id, "apt");
  EXPECT_EQ(m->sharing, CacheSharing::Locked);
  EXPECT_EQ(m->mode, 0700u);
  EXPECT_EQ(m->uid, 1000u);
  EXPECT_EQ(m->gid, 1001u);
  EXPECT_EQ(m->from, "base");
  EXPECT_EQ(m->source, "/c");
  EXPECT_EQ(parse_run_mount("type=cache,target=/x,sharing=private")->sharing, CacheSharing::Private);
  EXPECT_TRUE(parse_run_mount("type=cache,target=/x,ro")->readonly);
}

TEST(RunMount, BindAndTmpfsMounts) {
  auto m = parse_run_mount("target=/src");  // bind is the default type, read-only
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, MountType::Bind);
  EXPECT_TRUE(m->readonly);
  m = parse_run_mount("type=bind,from=build,source=/out,target=/in,rw");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->readonly);
  EXPECT_EQ(m->from, "build");
  EXPECT_EQ(m->source, "/out");
  EXPECT_FALSE(parse_run_mount("type=bind,target=/in,readwrite=true")->readonly);
  EXPECT_TRUE(parse_run_mount("type=bind,target=/in,rw=false")->readonly);
  EXPECT_EQ(parse_run_mount("type=bind,\"source=/a,b\",target=/in")->source, "/a,b");  // CSV quoting
  m = parse_run_mount("type=tmpfs,target=/tmp,size=64m");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->size, 64u << 20);
  EXPECT_FALSE(m->readonly);
}

TEST(RunMount, BadOptions) {
  EXPECT_EQ(err("type=cache"), "mount target must be specified (target=)");
  EXPECT_EQ(err("type=foo,target=/x"), "unsupported mount type \"foo\"");
  EXPECT_EQ(err("type=secret,id=x"), "mount type \"secret\" is not supported by this builder");
  EXPECT_EQ(err("target=/x,bogus=1"), "unexpected key 'bogus' in 'bogus=1'");
  EXPECT_EQ(err("target=/x,bogus"), "invalid field 'bogus' must be a key=value pair");
  EXPECT_EQ(err("type=cache,target=/x,sharing=all"), "unsupported sharing value \"all\"");
  EXPECT_EQ(err("type=cache,target=/x,mode=999"), "invalid value 999 for mode");
  EXPECT_EQ(err("type=cache,target=/x,uid=-1"), "invalid value -1 for uid");
  EXPECT_EQ(err("type=bind,target=/x,uid=1"), "uid not allowed for \"bind\" type mounts");
  EXPECT_EQ(err("type=bind,target=/x,sharing=locked"), "invalid cache sharing set for bind mount");
  EXPECT_EQ(err("type=bind,target=/x,rw=maybe"), "invalid value for rw: maybe");
  EXPECT_EQ(err("type=tmpfs,target=/x,size=lots"), "invalid value lots for size");
  EXPECT_EQ(err("type=tmpfs,target=/x,from=a"), "source and from not allowed for \"tmpfs\" type mounts");
  EXPECT_EQ(err("type=bind,\"target=/x"), "extraneous or missing \" in quoted-field");
}

TEST(GoDuration, ParsesAsGo) {
  using namespace std::chrono;
  EXPECT_EQ(*parse_go_duration("30s"), seconds(30));
  EXPECT_EQ(*parse_go_duration("1m30s"), seconds(90));
  EXPECT_EQ(*parse_go_duration("1.5h"), minutes(90));
  EXPECT_EQ(*parse_go_duration("250ms"), milliseconds(250));
  EXPECT_EQ(*parse_go_duration("10us"), microseconds(10));
  EXPECT_EQ(*parse_go_duration(".5s"), milliseconds(500));
  EXPECT_EQ(*parse_go_duration("0"), nanoseconds(0));
  EXPECT_EQ(*parse_go_duration("-2s"), seconds(-2));
  EXPECT_EQ(parse_go_duration("").error().message, "time: invalid duration \"\"");
  EXPECT_EQ(parse_go_duration("5").error().message, "time: missing unit in duration \"5\"");
  EXPECT_EQ(parse_go_duration("5d").error().message, "time: unknown unit \"d\" in duration \"5d\"");
  EXPECT_EQ(parse_go_duration("s").error().message, "time: invalid duration \"s\"");
}
