// Import, container root filesystems, commit, export, tags, rmi, prune and garbage collection
// against a real store (overlay mounts, SQLite).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "image/image_service.hpp"
#include "support/support.hpp"

using namespace berth::image;
namespace fs = std::filesystem;
using berth::test::TempDir;

namespace {

using berth::test::read_text;

struct Store {
  TempDir tmp{"berth-images"};
  std::string rootfs = tmp / "rootfs";
  std::string mnt = tmp / "mnt";
  std::unique_ptr<ImageService> svc;
  Store() {
    berth::test::make_busybox_rootfs(rootfs);
    fs::create_directories(mnt);
    auto s = ImageService::open(tmp / "store");
    if (!s) throw std::runtime_error(s.error().what());
    svc = std::move(*s);
  }
};

}  // namespace

TEST(ImageService, ImportDirectoryMountCommitExport) {
  Store s;
  auto img = s.svc->import(s.rootfs, {.tag = "base:1", .message = "from test", .platform = {}});
  ASSERT_TRUE(img) << img.error().what();
  EXPECT_EQ(img->repo_tags, std::vector<std::string>{"base:1"});
  ASSERT_EQ(img->layers.size(), 1u);
  EXPECT_GT(img->size, 500000);
  // The image ID is the config digest.
  EXPECT_EQ(Digest::of(*s.svc->config_json(img->id)), img->id);
  EXPECT_EQ(*s.svc->resolve("base:1"), img->id);
  EXPECT_EQ(*s.svc->resolve(img->id.hex().substr(0, 12)), img->id);
  EXPECT_EQ(*s.svc->resolve(img->id.str()), img->id);
  auto hist = s.svc->history("base:1");
  ASSERT_TRUE(hist);
  ASSERT_EQ(hist->size(), 1u);
  EXPECT_EQ((*hist)[0].comment, "from test");

  ASSERT_TRUE(s.svc->create_rootfs("ctr1", "base:1"));
  ASSERT_TRUE(s.svc->mount_rootfs("ctr1", s.mnt));
  EXPECT_TRUE(fs::exists(s.mnt + "/bin/busybox"));
  EXPECT_EQ(fs::read_symlink(s.mnt + "/bin/sh"), "busybox");
  std::ofstream(s.mnt + "/etc/motd") << "committed";
  fs::remove(s.mnt + "/etc/group");
  ASSERT_TRUE(s.svc->unmount_rootfs(s.mnt));

  auto c = s.svc->commit("ctr1", {.tag = "derived", .comment = "add motd", .author = "", .created_by = ""});
  ASSERT_TRUE(c) << c.error().what();
  ASSERT_EQ(c->layers.size(), 2u);
  EXPECT_EQ(c->layers[0].chain_id, img->layers[0].chain_id);  // the base layer is shared
  EXPECT_EQ(s.svc->snapshotter().layers()->size(), 2u);

  ASSERT_TRUE(s.svc->create_rootfs("ctr2", "derived"));
  ASSERT_TRUE(s.svc->mount_rootfs("ctr2", s.mnt));
  EXPECT_EQ(read_text(s.mnt + "/etc/motd"), "committed");
  EXPECT_FALSE(fs::exists(s.mnt + "/etc/group"));
  EXPECT_TRUE(fs::exists(s.mnt + "/etc/passwd"));
  std::ofstream(s.mnt + "/live") << "written while running";
  // Export works while the container's root filesystem is mounted (a running container).
  std::string live;
  auto lex = s.svc->export_rootfs("ctr2", [&](std::string_view b) -> berth::Result<> {
    live.append(b);
    return {};
  });
  ASSERT_TRUE(lex) << lex.error().what();
  EXPECT_NE(live.find("written while running"), std::string::npos);
  ASSERT_TRUE(s.svc->unmount_rootfs(s.mnt));
  fs::remove(*s.svc->snapshotter().upper_dir("ctr2") + "/live");

  // Export: the merged tree, whiteouts applied, as a plain tar that imports again.
  std::string tar;
  auto ex = s.svc->export_rootfs("ctr2", [&](std::string_view b) -> berth::Result<> {
    tar.append(b);
    return {};
  });
  ASSERT_TRUE(ex) << ex.error().what();
  std::string tarpath = s.tmp / "export.tar";
  std::ofstream(tarpath, std::ios::binary) << tar;
  auto listing = berth::test::run({"tar", "-tf", tarpath});
  EXPECT_NE(listing.out.find("etc/motd"), std::string::npos);
  EXPECT_EQ(listing.out.find("etc/group"), std::string::npos);
  EXPECT_EQ(listing.out.find(".wh."), std::string::npos);
  auto re = s.svc->import(tarpath, {.tag = "reimported", .message = "", .platform = {}});
  ASSERT_TRUE(re) << re.error().what();
  EXPECT_EQ(re->layers[0].diff_id, Digest::of(tar));

  // An image a container uses cannot be deleted; removing by tag only untags it.
  auto rm = s.svc->remove("derived");
  ASSERT_TRUE(rm) << rm.error().what();
  EXPECT_TRUE(rm->deleted.empty());
  EXPECT_TRUE(s.svc->resolve(c->id.str()));
  auto rmid = s.svc->remove(c->id.str());
  ASSERT_FALSE(rmid);
  EXPECT_EQ(rmid.error().kind, berth::ErrorKind::Conflict);
  ASSERT_TRUE(s.svc->remove_rootfs("ctr2"));
  ASSERT_TRUE(s.svc->remove_rootfs("ctr1"));
  // Prune removes the now dangling, unused image and collects its layer and blobs.
  auto pr = s.svc->prune();
  ASSERT_TRUE(pr) << pr.error().what();
  ASSERT_EQ(pr->deleted.size(), 1u);
  EXPECT_EQ(pr->deleted[0], c->id);
  EXPECT_FALSE(s.svc->content().has(c->id));
  EXPECT_FALSE(s.svc->snapshotter().has_layer(c->layers[1].chain_id));
  EXPECT_TRUE(s.svc->snapshotter().has_layer(img->layers[0].chain_id));
}

TEST(ImageService, TagsRmiAndGc) {
  Store s;
  auto a = s.svc->import(s.rootfs, {.tag = "a", .message = "", .platform = {}});
  ASSERT_TRUE(a);
  ASSERT_TRUE(s.svc->tag("a", "127.0.0.1:5000/team/a:v2"));
  auto bad = s.svc->tag("a", "Bad Name");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, berth::ErrorKind::Invalid);
  EXPECT_FALSE(s.svc->tag("missing", "x"));
  auto rec = *s.svc->inspect("a:latest");
  EXPECT_EQ(rec.repo_tags, (std::vector<std::string>{"127.0.0.1:5000/team/a:v2", "a:latest"}));
  // By ID with two tags needs force.
  auto r = s.svc->remove(a->id.short_id());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, berth::ErrorKind::Conflict);
  // Untag one: image stays.
  r = s.svc->remove("127.0.0.1:5000/team/a:v2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->untagged, std::vector<std::string>{"127.0.0.1:5000/team/a:v2"});
  EXPECT_TRUE(r->deleted.empty());
  // Last tag: image, its layer and blobs go.
  size_t blobs_before = s.svc->content().list()->size();
  EXPECT_EQ(blobs_before, 3u);  // layer, config, manifest
  r = s.svc->remove("a");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->deleted, std::vector<Digest>{a->id});
  EXPECT_TRUE(s.svc->content().list()->empty());
  EXPECT_TRUE(s.svc->snapshotter().layers()->empty());
  auto gone = s.svc->resolve("a");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, berth::ErrorKind::NotFound);
}

TEST(ImageService, MetadataSurvivesReopenAndLayersAreShared) {
  TempDir tmp{"berth-images"};
  std::string rootfs = tmp / "rootfs";
  berth::test::make_busybox_rootfs(rootfs);
  Digest id;
  {
    auto svc = *ImageService::open(tmp / "store");
    auto a = svc->import(rootfs, {.tag = "one", .message = "", .platform = {}});
    ASSERT_TRUE(a);
    id = a->id;
    ASSERT_TRUE(svc->create_rootfs("keep", "one"));
  }
  auto svc = *ImageService::open(tmp / "store");
  auto rec = svc->inspect("one");
  ASSERT_TRUE(rec) << rec.error().what();
  EXPECT_EQ(rec->id, id);
  EXPECT_EQ(*svc->store().layer_refcount(rec->layers[0].chain_id), 2);  // the image + the snapshot
  // A second image with the same layer content shares the unpacked layer.
  auto b = svc->import(rootfs, {.tag = "two", .message = "", .platform = {}});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->layers[0].chain_id, rec->layers[0].chain_id);
  EXPECT_EQ(svc->snapshotter().layers()->size(), 1u);
  EXPECT_EQ(*svc->store().layer_refcount(rec->layers[0].chain_id), 3);
  // The snapshot holds the layer even once both images are gone.
  ASSERT_TRUE(svc->remove("two"));
  auto forced = svc->remove("one");
  ASSERT_TRUE(forced);
  EXPECT_TRUE(svc->snapshotter().has_layer(rec->layers[0].chain_id));
  ASSERT_TRUE(svc->remove_rootfs("keep"));
  ASSERT_TRUE(svc->prune());
  EXPECT_TRUE(svc->snapshotter().layers()->empty());
}

TEST(ImageService, ImportRefusesHostileTarball) {
  Store s;
  std::string evil = s.tmp / "evil";
  fs::create_directories(evil);
  std::ofstream(evil + "/x") << "x";
  std::string tarpath = s.tmp / "evil.tar.gz";
  auto r = berth::test::sh("cd " + evil + " && tar --transform='s,^x,../../escape,' -czf " + tarpath + " x");
  ASSERT_EQ(r.status, 0) << r.err;
  auto img = s.svc->import(tarpath, {.tag = "evil", .message = "", .platform = {}});
  ASSERT_FALSE(img);
  EXPECT_NE(img.error().what().find("escapes the root"), std::string::npos) << img.error().what();
  EXPECT_FALSE(fs::exists(s.tmp / "escape"));
  EXPECT_FALSE(s.svc->resolve("evil"));
  EXPECT_TRUE(s.svc->snapshotter().layers()->empty());
  EXPECT_TRUE(s.svc->store().list()->empty());
  EXPECT_TRUE(s.svc->content().list()->empty()) << "blobs of a refused import stay behind";
}
