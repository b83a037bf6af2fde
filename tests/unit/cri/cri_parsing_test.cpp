// What the CRI handlers derive from the image store and the requests: qualified names, the
// image's user, and PullImage's auth config.
#include <gtest/gtest.h>

#include "cri/image_names.hpp"
#include "cri/image_user.hpp"
#include "cri/pull_auth.hpp"

using namespace berth::cri;

TEST(CriImageNames, FamiliarNamesAreQualified) {
  EXPECT_EQ(qualified_name("busybox:latest"), "docker.io/library/busybox:latest");
  EXPECT_EQ(qualified_name("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(qualified_name("user/app:1"), "docker.io/user/app:1");
  EXPECT_EQ(qualified_name("registry.k8s.io/pause:3.9"), "registry.k8s.io/pause:3.9");
  EXPECT_EQ(qualified_name("127.0.0.1:5000/x/y:2"), "127.0.0.1:5000/x/y:2");
  std::string d = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(qualified_name("busybox@" + d), "docker.io/library/busybox@" + d);
  EXPECT_EQ(qualified_name("Not A Name"), "Not A Name");  // left as it is
}

TEST(CriImageUser, UidOrNameFromUser) {
  auto none = image_user("");
  EXPECT_FALSE(none.uid);
  EXPECT_EQ(none.username, "");
  auto uid = image_user("1000");
  ASSERT_TRUE(uid.uid);
  EXPECT_EQ(*uid.uid, 1000);
  EXPECT_EQ(uid.username, "");
  auto with_group = image_user("1000:50");
  ASSERT_TRUE(with_group.uid);
  EXPECT_EQ(*with_group.uid, 1000);
  auto name = image_user("nobody:nogroup");
  EXPECT_FALSE(name.uid);
  EXPECT_EQ(name.username, "nobody");
  EXPECT_EQ(image_user("0").uid.value_or(-1), 0);
  EXPECT_EQ(image_user("12ab").username, "12ab");  // not a number: a name
  EXPECT_EQ(image_user(":50").username, "");       // only a group: no user reported
}

TEST(CriPullAuth, EmptyIsAnonymous) {
  auto c = pull_credentials({});
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c);
}

TEST(CriPullAuth, UsernamePasswordAndAuth) {
  auto plain = pull_credentials({.username = "alice", .password = "secret"});
  ASSERT_TRUE(plain && *plain);
  EXPECT_EQ((*plain)->username, "alice");
  EXPECT_EQ((*plain)->password, "secret");
  auto encoded = pull_credentials({.auth = "Ym9iOnM6M2NyZXQ="});  // bob:s:3cret (the first ':' splits)
  ASSERT_TRUE(encoded && *encoded);
  EXPECT_EQ((*encoded)->username, "bob");
  EXPECT_EQ((*encoded)->password, "s:3cret");
  auto token = pull_credentials({.registry_token = "tok"});
  ASSERT_TRUE(token && *token);
  EXPECT_EQ((*token)->registry_token, "tok");
  EXPECT_EQ((*token)->username, "");
}

TEST(CriPullAuth, MalformedAuthIsRefused) {
  for (std::string bad : {"!!!not base64", "bm9jb2xvbg=="}) {  // the second is "nocolon"
    auto c = pull_credentials({.auth = bad});
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().kind, berth::ErrorKind::Invalid);
    EXPECT_NE(c.error().what().find("auth: expected the base64 encoding of \"username:password\""), std::string::npos);
  }
}
