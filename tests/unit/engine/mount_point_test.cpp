// The -v / --mount / --tmpfs parsers and the volume name and option checks, with dockerd's messages.
#include <gtest/gtest.h>

#include "engine/mount_point.hpp"
#include "engine/volume_service.hpp"

using namespace berth::engine;
using nlohmann::json;

TEST(BindSpec, NamedVolumeWithModes) {
  auto m = parse_bind_spec("data:/var/lib/x:ro,nocopy");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, "volume");
  EXPECT_EQ(m->name, "data");
  EXPECT_EQ(m->destination, "/var/lib/x");
  EXPECT_FALSE(m->rw);
  EXPECT_TRUE(m->nocopy);
  EXPECT_EQ(m->mode, "ro,nocopy");
  auto plain = parse_bind_spec("data:/d");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->mode, "z");  // what dockerd's inspect shows
}

TEST(BindSpec, HostPathWithPropagationIsABindMadeWhenMissing) {
  auto m = parse_bind_spec("/srv/data/:/d/:rshared");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->source, "/srv/data");
  EXPECT_EQ(m->destination, "/d");
  EXPECT_EQ(m->propagation, "rshared");
  EXPECT_TRUE(m->rw);
  EXPECT_TRUE(m->create_source);
  EXPECT_EQ(parse_bind_spec("/a:/b")->propagation, "rprivate");
}

TEST(BindSpec, AnonymousVolume) {
  auto m = parse_bind_spec("/cache");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "volume");
  EXPECT_EQ(m->name, "");
  EXPECT_EQ(m->destination, "/cache");
}

TEST(BindSpec, BadSpecsGetDockerdsMessages) {
  auto msg = [](const std::string& s) {
    auto r = parse_bind_spec(s);
    EXPECT_FALSE(r) << s;
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(msg(":/x"), "invalid volume specification: ':/x'");
  EXPECT_EQ(msg("/foo:rw"), "invalid volume specification: '/foo:rw'");
  EXPECT_EQ(msg("a:b:c:d"), "invalid volume specification: 'a:b:c:d'");
  EXPECT_EQ(msg("v:/d:bogus"), "invalid mode: bogus");
  EXPECT_EQ(msg("v:/d:ro,rw"), "invalid mode: ro,rw");
  EXPECT_EQ(msg("v:rel"), "invalid volume specification: 'v:rel': invalid mount config for type \"volume\": "
                          "invalid mount path: 'rel' mount path must be absolute");
  EXPECT_NE(msg("v:/").find("destination can't be '/'"), std::string::npos);
  EXPECT_NE(msg("v:/a/../../etc").find("must not contain '..'"), std::string::npos);
  EXPECT_NE(msg("/tmp/../etc:/d").find("bind source path must not contain '..'"), std::string::npos);
  EXPECT_NE(msg("v:/d:rshared").find("field BindOptions must not be specified"), std::string::npos);
}

TEST(MountObject, BindVolumeAndTmpfs) {
  auto b = parse_mount_object(json{{"Type", "bind"}, {"Source", "/x"}, {"Target", "/y"}, {"ReadOnly", true},
                                   {"BindOptions", {{"Propagation", "rslave"}}}});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->source, "/x");
  EXPECT_FALSE(b->rw);
  EXPECT_EQ(b->propagation, "rslave");
  EXPECT_FALSE(b->create_source) << "--mount type=bind never makes its source";
  json vo = {{"NoCopy", true}, {"Labels", {{"a", "b"}}}, {"DriverConfig", {{"Options", {{"type", "tmpfs"}}}}}};
  auto v = parse_mount_object(json{{"Type", "volume"}, {"Source", "v1"}, {"Target", "/d"}, {"VolumeOptions", vo}});
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->nocopy);
  EXPECT_EQ(v->volume_labels.at("a"), "b");
  EXPECT_EQ(v->volume_opts.at("type"), "tmpfs");
  auto t = parse_mount_object(json{{"Type", "tmpfs"}, {"Target", "/t"}, {"TmpfsOptions", {{"SizeBytes", 2 << 20}, {"Mode", 01777}}}});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->tmpfs_data, "mode=1777,size=2m");
  EXPECT_TRUE(t->listed);
}

TEST(MountObject, BadObjectsGetDockerdsMessages) {
  auto msg = [](const json& j) {
    auto r = parse_mount_object(j);
    EXPECT_FALSE(r) << j.dump();
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(msg({{"Type", "bind"}, {"Target", "/x"}}), "invalid mount config for type \"bind\": field Source must not be empty");
  EXPECT_EQ(msg({{"Type", "nfs"}, {"Target", "/x"}}), "invalid mount config for type \"nfs\": mount type unknown");
  EXPECT_EQ(msg({{"Type", "volume"}, {"Target", "/x"}, {"ReadOnly", true}}),
            "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes");
  EXPECT_EQ(msg({{"Type", "tmpfs"}, {"Source", "s"}, {"Target", "/x"}}),
            "invalid mount config for type \"tmpfs\": field Source must not be specified");
  EXPECT_EQ(msg({{"Type", "volume"}, {"Target", "/x"}, {"BindOptions", {{"Propagation", "shared"}}}}),
            "invalid mount config for type \"volume\": field BindOptions must not be specified");
  EXPECT_EQ(msg({{"Type", "bind"}, {"Source", "/a"}, {"Target", "/x"}, {"BindOptions", {{"Propagation", "weird"}}}}),
            "invalid mount config for type \"bind\": invalid propagation mode: weird");
  EXPECT_EQ(msg({{"Type", "volume"}, {"Source", "v"}}), "invalid mount config for type \"volume\": field Target must not be empty");
}

TEST(Tmpfs, OptionsAreCheckedAndHiddenFromInspect) {
  auto t = parse_tmpfs("/run", "size=1m,exec");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->tmpfs_data, "size=1m,exec");
  EXPECT_FALSE(t->listed);
  auto bad = parse_tmpfs("/run", "size=1m,bogus");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid tmpfs option [\"bogus\"]");
  EXPECT_FALSE(parse_tmpfs("run", ""));
}

TEST(VolumesFrom, ModeIsRoOrRw) {
  auto r = parse_volumes_from("donor:ro");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, "donor");
  EXPECT_EQ(r->second, "ro");
  EXPECT_EQ(parse_volumes_from("donor")->second, "");
  EXPECT_EQ(parse_volumes_from("donor:rshared").error().message, "invalid mode: rshared");
  EXPECT_FALSE(parse_volumes_from(""));
}

TEST(ContainerMounts, DuplicatesRefusedAndVolumePathsFillTheRest) {
  json hc = {{"Binds", {"v:/data"}}, {"Tmpfs", {{"/run", ""}}}};
  json config = {{"Volumes", {{"/data", json::object()}, {"/cache", json::object()}}}};
  json image = {{"Volumes", {{"/var/lib/db", json::object()}}}};
  auto ms = parse_container_mounts(hc, config, image);
  ASSERT_TRUE(ms) << ms.error().message;
  ASSERT_EQ(ms->size(), 4u);
  EXPECT_EQ((*ms)[0].name, "v");
  EXPECT_EQ((*ms)[2].destination, "/cache");
  EXPECT_EQ((*ms)[2].name, "");
  EXPECT_EQ((*ms)[3].destination, "/var/lib/db");
  json dup = {{"Binds", {"v:/data"}}, {"Mounts", {{{"Type", "tmpfs"}, {"Target", "/data/"}}}}};
  auto d = parse_container_mounts(dup, json::object(), json::object());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "Duplicate mount point: /data");
}

TEST(MountRecord, RoundTrips) {
  auto m = *parse_bind_spec("/h:/c:ro,rslave");
  auto back = mount_point_from_json(mount_point_to_json(m));
  EXPECT_EQ(mount_point_inspect(back), mount_point_inspect(m));
  EXPECT_EQ(mount_point_inspect(m),
            (json{{"Type", "bind"}, {"Source", "/h"}, {"Destination", "/c"}, {"Mode", "ro,rslave"}, {"RW", false},
                  {"Propagation", "rslave"}}));
}

TEST(VolumeName, AsDockerdsLocalDriver) {
  for (auto ok : {std::string("ab"), std::string("my_vol.1-x"), std::string("0abc"), std::string(64, 'f')})
    EXPECT_TRUE(validate_volume_name(ok)) << ok;
  for (auto bad : {"a", "", "_x", ".x", "..", "../x", "a/b", "x$", "a b", "-x"}) {
    auto r = validate_volume_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, berth::ErrorKind::Invalid);
  }
  EXPECT_EQ(validate_volume_name("x$").error().message,
            "\"x$\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
            "allowed. If you intended to pass a host directory, use absolute path");
}

TEST(VolumeOptions, LocalDriverKeys) {
  EXPECT_TRUE(validate_volume_options({}));
  EXPECT_TRUE(validate_volume_options({{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m"}}));
  EXPECT_TRUE(validate_volume_options({{"type", "none"}, {"device", "/srv"}, {"o", "bind"}}));
  EXPECT_EQ(validate_volume_options({{"foo", "bar"}}).error().message, "invalid option: \"foo\"");
  EXPECT_EQ(validate_volume_options({{"type", "tmpfs"}}).error().message, "missing required option: \"device\"");
  EXPECT_EQ(validate_volume_options({{"o", "size=1m"}}).error().message, "missing required option: \"device\"");
  EXPECT_FALSE(validate_volume_options({{"type", "none"}, {"device", "rel"}, {"o", "bind"}}));
  EXPECT_FALSE(validate_volume_options({{"type", "nfs"}, {"device", ":/x"}}));
}
