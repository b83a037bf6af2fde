#include <gtest/gtest.h>

#include "image/digest.hpp"
#include "image/reference.hpp"

using namespace berth::image;

TEST(Digest, ParsesAndRejects) {
  std::string hex(64, 'a');
  auto d = Digest::parse("sha256:" + hex);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->hex(), hex);
  EXPECT_EQ(d->str(), "sha256:" + hex);
  EXPECT_FALSE(Digest::parse(hex));
  EXPECT_FALSE(Digest::parse("sha256:abc"));
  EXPECT_FALSE(Digest::parse("sha256:" + std::string(64, 'A')));
  auto md5 = Digest::parse("md5:" + hex);
  ASSERT_FALSE(md5);
  EXPECT_NE(md5.error().message.find("unsupported algorithm \"md5\""), std::string::npos);
}

TEST(Digest, Sha256OfKnownInputs) {
  EXPECT_EQ(Digest::of("").hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.update("ab");
  h.update("c");
  EXPECT_EQ(h.finish().hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Reference, NormalisesLikeDocker) {
  auto r = Reference::parse("busybox");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "docker.io");
  EXPECT_EQ(r->path, "library/busybox");
  EXPECT_EQ(r->tag, "latest");
  EXPECT_EQ(r->familiar_tagged(), "busybox:latest");

  r = Reference::parse("127.0.0.1:5000/team/app:v1.2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "127.0.0.1:5000");
  EXPECT_EQ(r->path, "team/app");
  EXPECT_EQ(r->tag, "v1.2");
  EXPECT_EQ(r->familiar_name(), "127.0.0.1:5000/team/app");

  std::string dig = "sha256:" + std::string(64, 'b');
  r = Reference::parse("localhost/x@" + dig);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "localhost");
  EXPECT_TRUE(r->tag.empty());
  EXPECT_EQ(r->reference(), dig);

  r = Reference::parse("localhost:5000/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->domain, "localhost:5000");
  EXPECT_EQ(r->tag, "latest");
}

TEST(Reference, RejectsBadNames) {
  EXPECT_FALSE(Reference::parse(""));
  EXPECT_FALSE(Reference::parse("UPPER"));
  EXPECT_FALSE(Reference::parse("a//b"));
  EXPECT_FALSE(Reference::parse("x:bad/tag"));
  auto r = Reference::parse("x@sha256:123");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid reference"), std::string::npos);
}
