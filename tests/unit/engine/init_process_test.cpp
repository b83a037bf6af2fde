#include <gtest/gtest.h>

#include "engine/oci_spec_builder.hpp"

using namespace berth::engine;
using nlohmann::json;

TEST(InitProcess, TiniInFrontOfTheCommandMountedReadOnly) {
  auto spec = build_oci_spec(json::object(), json{{"Cmd", {"sleep", "5"}}}, SpecInputs{std::string(64, 'a'), "/r", {}});
  ASSERT_TRUE(spec) << spec.error().what();
  size_t mounts = (*spec)["mounts"].size();
  add_init_process(*spec, "/usr/bin/tini-static");
  EXPECT_EQ((*spec)["process"]["args"], (json{"/sbin/docker-init", "--", "sleep", "5"}));
  ASSERT_EQ((*spec)["mounts"].size(), mounts + 1);
  EXPECT_EQ((*spec)["mounts"].back(), (json{{"destination", "/sbin/docker-init"}, {"type", "bind"},
                                            {"source", "/usr/bin/tini-static"}, {"options", {"bind", "ro"}}}));
}
