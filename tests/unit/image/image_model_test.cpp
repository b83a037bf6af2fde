#include <gtest/gtest.h>

#include "image/image_model.hpp"

using namespace berth::image;

namespace {
std::string H(char c) { return "sha256:" + std::string(64, c); }
}  // namespace

TEST(ImageModel, ParsesOciManifest) {
  std::string m = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + H('a') + R"(","size":10},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + H('b') + R"(","size":20},
              {"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" + H('c') + R"(","size":30}]})";
  auto man = parse_manifest(m);
  ASSERT_TRUE(man) << man.error().message;
  EXPECT_EQ(man->config.digest.str(), H('a'));
  ASSERT_EQ(man->layers.size(), 2u);
  EXPECT_EQ(man->layers[1].size, 30);
  EXPECT_EQ(*document_kind("", m), DocumentKind::Manifest);
}

TEST(ImageModel, ParsesDockerSchema2AndList) {
  std::string m = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + H('a') + R"(","size":1},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + H('b') + R"(","size":2}]})";
  ASSERT_TRUE(parse_manifest(m));
  std::string l = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests":[
     {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" + H('1') + R"(","size":5,
      "platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
     {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" + H('2') + R"(","size":5,
      "platform":{"os":"linux","architecture":"amd64"}}]})";
  EXPECT_EQ(*document_kind(media::docker_list, l), DocumentKind::Index);
  auto idx = parse_index(l);
  ASSERT_TRUE(idx);
  auto d = select_platform(*idx, Platform{});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digest.str(), H('2'));
  auto arm = select_platform(*idx, *Platform::parse("linux/arm64"));
  ASSERT_TRUE(arm);
  EXPECT_EQ(arm->digest.str(), H('1'));
  auto none = select_platform(*idx, *Platform::parse("linux/s390x"));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("linux/s390x"), std::string::npos);
  EXPECT_NE(none.error().message.find("linux/arm64/v8"), std::string::npos);
}

TEST(ImageModel, ErrorsNameTheField) {
  auto notjson = parse_manifest("this is not json");
  ASSERT_FALSE(notjson);
  EXPECT_NE(notjson.error().message.find("invalid JSON"), std::string::npos);
  auto bad = parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:xyz","size":1},"layers":[]})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("config.digest"), std::string::npos) << bad.error().message;
  auto nosize = parse_manifest(R"({"schemaVersion":2,"config":{"digest":")" + H('a') + R"("},"layers":[]})");
  ASSERT_FALSE(nosize);
  EXPECT_NE(nosize.error().message.find("config.size"), std::string::npos);
  auto badlayer = parse_manifest(R"({"schemaVersion":2,"config":{"digest":")" + H('a') +
                                 R"(","size":1},"layers":[{"mediaType":"text/plain","digest":")" + H('b') +
                                 R"(","size":1}]})");
  ASSERT_FALSE(badlayer);
  EXPECT_NE(badlayer.error().message.find("layers[0].mediaType"), std::string::npos);
  auto cfg = parse_config(R"({"rootfs":{"type":"layers","diff_ids":["nope"]}})");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("rootfs.diff_ids[0]"), std::string::npos);
  EXPECT_FALSE(parse_config(R"({"architecture":"amd64"})"));
  EXPECT_FALSE(parse_index(R"({"schemaVersion":2,"manifests":{}})"));
  EXPECT_FALSE(document_kind("", R"({"schemaVersion":1,"fsLayers":[]})"));
}

TEST(ImageModel, ParsesConfigAndHistory) {
  auto c = parse_config(R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
    "config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[")" + H('d') + R"("]},
    "history":[{"created_by":"ADD x","created":"2024-01-01T00:00:00Z"},{"created_by":"CMD sh","empty_layer":true}]})");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->architecture, "amd64");
  ASSERT_EQ(c->diff_ids.size(), 1u);
  ASSERT_EQ(c->history.size(), 2u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_EQ(c->history[0].created_by, "ADD x");
}

TEST(ImageModel, ChainIds) {
  auto a = *Digest::parse(H('a'));
  auto b = *Digest::parse(H('b'));
  auto ids = chain_ids({a, b});
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], a);
  EXPECT_EQ(ids[1], Digest::of(a.str() + " " + b.str()));
}

TEST(ImageModel, PlatformParse) {
  auto p = Platform::parse("linux/arm/v7");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->variant, "v7");
  EXPECT_EQ(p->str(), "linux/arm/v7");
  EXPECT_FALSE(Platform::parse("linux"));
  EXPECT_FALSE(Platform::parse("a/b/c/d"));
}
