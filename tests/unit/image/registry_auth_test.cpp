#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "image/http.hpp"
#include "image/registry_auth.hpp"
#include "image/registry_client.hpp"
#include "tar_builder.hpp"

using namespace berth::image;

TEST(RegistryAuth, ParsesBearerChallenge) {
  auto c = parse_challenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push repository:c:pull")");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params["realm"], "https://auth.example/token");
  EXPECT_EQ(c->params["service"], "registry.example");
  EXPECT_EQ(c->params["scope"], "repository:a/b:pull,push repository:c:pull");
  auto b = parse_challenge(R"(Basic realm="x")");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme, "basic");
  auto unquoted = parse_challenge("Bearer realm=http://t/token,service=s");
  ASSERT_TRUE(unquoted);
  EXPECT_EQ(unquoted->params["realm"], "http://t/token");
}

TEST(RegistryAuth, RejectsBadChallenges) {
  EXPECT_FALSE(parse_challenge("Negotiate abc"));
  auto norealm = parse_challenge(R"(Bearer service="x")");
  ASSERT_FALSE(norealm);
  EXPECT_NE(norealm.error().message.find("without realm"), std::string::npos);
  EXPECT_FALSE(parse_challenge(R"(Bearer realm="unterminated)"));
}

TEST(RegistryAuth, ReadsDockerConfig) {
  test::TmpDir d;
  std::string p = d.path + "/config.json";
  std::ofstream(p) << R"({"auths":{"https://reg.example:5000":{"auth":")" + http::base64_encode("u:p:w") +
                          R"("},"other":{"username":"a","password":"b"},"https://index.docker.io/v1/":{"auth":")" +
                          http::base64_encode("hub:pw") + R"("}}})";
  auto c = credentials_from_config(p, "reg.example:5000");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->username, "u");
  EXPECT_EQ((*c)->password, "p:w");
  auto o = credentials_from_config(p, "other");
  ASSERT_TRUE(o && *o);
  EXPECT_EQ((*o)->password, "b");
  auto hub = credentials_from_config(p, "docker.io");
  ASSERT_TRUE(hub && *hub);
  EXPECT_EQ((*hub)->username, "hub");
  auto none = credentials_from_config(p, "elsewhere");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_FALSE(*credentials_from_config(d.path + "/missing.json", "x"));
  std::ofstream(p) << R"({"auths":{"x":{"auth":"bm9jb2xvbg=="}}})";  // "nocolon"
  auto bad = credentials_from_config(p, "x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auths.x.auth"), std::string::npos);
  std::ofstream(p) << "{broken";
  EXPECT_FALSE(credentials_from_config(p, "x"));
}

TEST(RegistryAuth, Base64RoundTrip) {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "user:pass", std::string("\0\xff", 2)})
    EXPECT_EQ(*http::base64_decode(http::base64_encode(s)), s);
  EXPECT_FALSE(http::base64_decode("abc"));
}

TEST(RegistryClient, SchemeFollowsInsecureList) {
  EXPECT_TRUE(registry_is_insecure("127.0.0.1:5000", {}));
  EXPECT_TRUE(registry_is_insecure("localhost", {}));
  EXPECT_FALSE(registry_is_insecure("registry.example", {}));
  EXPECT_FALSE(registry_is_insecure("127.0.0.2:5000", {}));
  EXPECT_TRUE(registry_is_insecure("registry.example:5000", {"registry.example:5000"}));
  EXPECT_EQ(RegistryClient("docker.io", {}).base_url(), "https://registry-1.docker.io");
  EXPECT_EQ(RegistryClient("localhost:5000", {}).base_url(), "http://localhost:5000");
}
