// The OCI config a container gets from its image's config and the create request.
#include <gtest/gtest.h>

#include "engine/oci_spec_builder.hpp"
#include "engine/user_lookup.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {

const std::string kSpecId = std::string(64, 'a');
SpecInputs inputs() { return SpecInputs{kSpecId, "/x/rootfs", {}}; }

json image() {
  return {{"Env", {"PATH=/usr/bin:/bin", "A=image"}}, {"Cmd", {"sh"}}, {"WorkingDir", "/srv"}, {"Entrypoint", nullptr}};
}

}  // namespace

TEST(OciSpecBuilder, ImageDefaultsWhenTheRequestGivesNone) {
  auto s = build_oci_spec(image(), json::object(), inputs());
  ASSERT_TRUE(s) << s.error().what();
  auto& p = (*s)["process"];
  EXPECT_EQ(p["args"], json({"sh"}));
  EXPECT_EQ(p["cwd"], "/srv");
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ((*s)["root"]["path"], "/x/rootfs");
  EXPECT_EQ((*s)["root"]["readonly"], false);
  EXPECT_EQ((*s)["hostname"], kSpecId.substr(0, 12));
  auto env = p["env"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(env.begin(), env.end(), "PATH=/usr/bin:/bin"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "HOSTNAME=" + kSpecId.substr(0, 12)), env.end());
  EXPECT_EQ(p["capabilities"]["bounding"].size(), 14u);  // dockerd's default set
}

TEST(OciSpecBuilder, RequestOverridesImage) {
  json req = {{"Cmd", {"echo", "hi"}}, {"Env", {"A=req", "B=2"}}, {"WorkingDir", "/tmp"}, {"Tty", true},
              {"Hostname", "box"}};
  auto s = build_oci_spec(image(), req, inputs());
  ASSERT_TRUE(s) << s.error().what();
  auto& p = (*s)["process"];
  EXPECT_EQ(p["args"], json({"echo", "hi"}));
  EXPECT_EQ(p["cwd"], "/tmp");
  EXPECT_EQ(p["terminal"], true);
  EXPECT_EQ((*s)["hostname"], "box");
  auto env = p["env"].get<std::vector<std::string>>();
  EXPECT_EQ(std::count(env.begin(), env.end(), "A=req"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "A=image"), 0);
  EXPECT_NE(std::find(env.begin(), env.end(), "TERM=xterm"), env.end());
}

TEST(OciSpecBuilder, EntrypointDropsTheImageCmd) {
  json img = {{"Entrypoint", {"/bin/ep"}}, {"Cmd", {"default"}}};
  auto a = build_oci_spec(img, json::object(), inputs());
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)["process"]["args"], json({"/bin/ep", "default"}));
  auto b = build_oci_spec(img, {{"Cmd", {"x"}}}, inputs());
  EXPECT_EQ((*b)["process"]["args"], json({"/bin/ep", "x"}));
  auto c = build_oci_spec(img, {{"Entrypoint", {"/bin/other"}}}, inputs());
  EXPECT_EQ((*c)["process"]["args"], json({"/bin/other"}));
  auto d = build_oci_spec(img, {{"Entrypoint", {""}}, {"Cmd", {"ls"}}}, inputs());
  EXPECT_EQ((*d)["process"]["args"], json({"ls"}));
}

TEST(OciSpecBuilder, BadInputIsAClearError) {
  auto none = build_oci_spec(json::object(), json::object(), inputs());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "No command specified");
  EXPECT_EQ(none.error().http_status(), 400);
  auto rel = build_oci_spec(image(), {{"WorkingDir", "rel"}}, inputs());
  ASSERT_FALSE(rel);
  EXPECT_NE(rel.error().message.find("absolute path"), std::string::npos);
  auto bad = build_oci_spec(image(), {{"Cmd", {1, 2}}}, inputs());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("Cmd"), std::string::npos);
}

TEST(OciSpecBuilder, ResolvedUserAndUserPrecedence) {
  SpecInputs in = inputs();
  in.user = ResolvedUser{1000, 100, {27}};
  auto s = build_oci_spec(image(), json::object(), in);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)["process"]["user"]["uid"], 1000);
  EXPECT_EQ((*s)["process"]["user"]["gid"], 100);
  EXPECT_EQ((*s)["process"]["user"]["additionalGids"], json({27}));
  EXPECT_EQ(effective_user({{"User", "img"}}, json::object()), "img");
  EXPECT_EQ(effective_user({{"User", "img"}}, {{"User", "req"}}), "req");
}

TEST(UserLookup, NamesAndNumbers) {
  const char* passwd = "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n";
  const char* group = "root:x:0:\nstaff:x:50:alice\nalice:x:1000:\n";
  auto root = resolve_user("", passwd, group);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->uid, 0u);
  auto a = resolve_user("alice", passwd, group);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->uid, 1000u);
  EXPECT_EQ(a->gid, 1000u);
  EXPECT_EQ(a->additional_gids, std::vector<uint32_t>{50});
  auto n = resolve_user("1234:55", passwd, group);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->uid, 1234u);
  EXPECT_EQ(n->gid, 55u);
  auto g = resolve_user("alice:staff", passwd, group);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->gid, 50u);
  auto missing = resolve_user("bob", passwd, group);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "unable to find user bob: no matching entries in passwd file");
}
