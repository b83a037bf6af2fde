// docker-archive and OCI layout save/load, checked against skopeo as an independent reader,
// and refusal of broken archives.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/fd.hpp"
#include "image/archive.hpp"
#include "support/support.hpp"

using namespace berth::image;
namespace fs = std::filesystem;
using berth::test::TempDir;
using berth::test::run;
using berth::test::sh;

namespace {

struct Fixture {
  TempDir tmp{"berth-archive"};
  std::unique_ptr<ImageService> a, b;
  ImageRecord img;
  Fixture() {
    std::string rootfs = tmp / "rootfs";
    berth::test::make_busybox_rootfs(rootfs);
    a = std::move(*ImageService::open(tmp / "a"));
    b = std::move(*ImageService::open(tmp / "b"));
    img = *a->import(rootfs, {.tag = "demo:1", .message = "", .platform = {}});
    // A second layer so the archive is multi-layer.
    EXPECT_TRUE(a->create_rootfs("c", "demo:1"));
    std::ofstream(*a->snapshotter().upper_dir("c") + "/hello") << "hi";
    img = *a->commit("c", {.tag = "demo:2", .comment = "", .author = "", .created_by = ""});
    EXPECT_TRUE(a->remove_rootfs("c"));
  }
  std::string save(const std::vector<std::string>& names, ArchiveFormat f, const std::string& file) {
    std::ofstream out(file, std::ios::binary);
    auto r = save_archive(*a, names, f, [&](std::string_view d) -> berth::Result<> {
      out.write(d.data(), static_cast<std::streamsize>(d.size()));
      return {};
    });
    EXPECT_TRUE(r) << r.error().what();
    return file;
  }
  std::unique_ptr<ImageService> fresh(const std::string& name) { return std::move(*ImageService::open(tmp / name)); }
  berth::Result<LoadResult> load(ImageService& svc, const std::string& file) {
    berth::UniqueFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
    return load_archive(svc, fd.get());
  }
};

}  // namespace

TEST(Archive, DockerArchiveRoundTrip) {
  Fixture f;
  auto file = f.save({"demo:2"}, ArchiveFormat::DockerArchive, f.tmp / "d.tar");
  auto listing = run({"tar", "-tf", file}).out;
  EXPECT_NE(listing.find("manifest.json"), std::string::npos);
  EXPECT_NE(listing.find("repositories"), std::string::npos);
  EXPECT_NE(listing.find(f.img.id.hex() + ".json"), std::string::npos);
  auto r = f.load(*f.b, file);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].id, f.img.id);
  EXPECT_EQ(r->tags, std::vector<std::string>{"demo:2"});
  EXPECT_EQ(r->images[0].layers.size(), 2u);
  auto dir = *f.b->snapshotter().layer_dir(r->images[0].layers[1].chain_id);
  EXPECT_TRUE(fs::exists(dir + "/hello"));
  // Loading twice is idempotent, and leaves no stray blobs (VERSION files and the like).
  ASSERT_TRUE(f.load(*f.b, file));
  EXPECT_EQ(f.b->content().list()->size(), 4u);  // 2 layers, config, manifest
  // `docker save | gzip` archives load too.
  ASSERT_EQ(run({"gzip", "-k", file}).status, 0);
  auto gz = f.load(*f.fresh("gz"), file + ".gz");
  ASSERT_TRUE(gz) << gz.error().what();
  EXPECT_EQ(gz->images[0].id, f.img.id);
  // skopeo, an independent reader, understands it too.
  if (berth::test::have_program("skopeo")) {
    auto ins = run({"skopeo", "inspect", "--config", "docker-archive:" + file});
    ASSERT_EQ(ins.status, 0) << ins.err;
    EXPECT_EQ(berth::image::Digest::of(ins.out.substr(0, ins.out.find_last_not_of('\n') + 1)).str().size(), 71u);
  }
}

TEST(Archive, OciLayoutRoundTripAndSkopeoLayout) {
  Fixture f;
  auto file = f.save({"demo:2", "demo:1"}, ArchiveFormat::OciLayout, f.tmp / "o.tar");
  auto r = f.load(*f.b, file);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->images.size(), 2u);
  EXPECT_EQ(*f.b->resolve("demo:2"), f.img.id);
  EXPECT_TRUE(f.b->resolve("demo:1"));
  if (!berth::test::have_program("skopeo")) GTEST_SKIP() << "skopeo not installed";
  // skopeo reads berth's OCI archive, and berth reads skopeo's OCI layout directory.
  std::string dir = f.tmp / "skopeo-oci";
  auto cp = run({"skopeo", "copy", "oci-archive:" + file + ":2", "oci:" + dir + ":copied"}, "",
                std::chrono::seconds(120));
  ASSERT_EQ(cp.status, 0) << cp.err;
  auto c = ImageService::open(f.tmp / "c");
  ASSERT_TRUE(c);
  auto lr = load_oci_layout_dir(**c, dir);
  ASSERT_TRUE(lr) << lr.error().what();
  ASSERT_EQ(lr->images.size(), 1u);
  EXPECT_EQ(lr->images[0].id, f.img.id);
}

TEST(Archive, BrokenArchivesAreRefusedAndLeaveNothing) {
  Fixture f;
  std::string work = f.tmp / "broken";
  fs::create_directories(work);
  auto file = f.save({"demo:2"}, ArchiveFormat::DockerArchive, f.tmp / "d.tar");
  ASSERT_EQ(run({"tar", "-xf", file, "-C", work}).status, 0);

  auto expect_refused = [&](const std::string& tarfile, const std::string& msg) {
    auto r = f.load(*f.b, tarfile);
    ASSERT_FALSE(r) << tarfile << " loaded";
    EXPECT_NE(r.error().what().find(msg), std::string::npos) << r.error().what();
    EXPECT_TRUE(f.b->store().list()->empty());
    EXPECT_TRUE(f.b->content().list()->empty()) << "blobs left behind by " << tarfile;
    EXPECT_TRUE(f.b->snapshotter().layers()->empty());
  };
  // manifest.json that is not JSON.
  berth::test::write_text(work + "/manifest.json", "{not json");
  ASSERT_EQ(sh("cd " + work + " && tar -cf ../notjson.tar .").status, 0);
  expect_refused(f.tmp / "notjson.tar", "manifest.json: invalid JSON");
  // A truncated archive.
  std::string whole = berth::test::read_text(file);
  berth::test::write_text(f.tmp / "trunc.tar", whole.substr(0, whole.size() / 2));
  expect_refused(f.tmp / "trunc.tar", "load");
  // An OCI blob whose bytes do not match its name.
  auto oci = f.save({"demo:2"}, ArchiveFormat::OciLayout, f.tmp / "o.tar");
  std::string ow = f.tmp / "oci-broken";
  fs::create_directories(ow);
  ASSERT_EQ(run({"tar", "-xf", oci, "-C", ow}).status, 0);
  std::string victim = ow + "/blobs/sha256/" + f.img.id.hex();
  fs::permissions(victim, fs::perms::owner_write, fs::perm_options::add);
  berth::test::write_text(victim, "{\"tampered\":true}");
  ASSERT_EQ(sh("cd " + ow + " && tar -cf ../tampered.tar .").status, 0);
  expect_refused(f.tmp / "tampered.tar", "digest mismatch");
  // A layer whose content does not match the config's diff_ids.
  std::string lw = f.tmp / "layer-broken";
  fs::create_directories(lw);
  ASSERT_EQ(run({"tar", "-xf", file, "-C", lw}).status, 0);
  auto mj = nlohmann::json::parse(berth::test::read_text(lw + "/manifest.json"));
  std::string layer = lw + "/" + mj[0]["Layers"][1].get<std::string>();
  ASSERT_EQ(sh("cd " + f.tmp.path() + " && mkdir -p other && echo x > other/x && tar -cf " + layer + " -C other x").status, 0);
  ASSERT_EQ(sh("cd " + lw + " && tar -cf ../badlayer.tar .").status, 0);
  expect_refused(f.tmp / "badlayer.tar", "diff ID mismatch");
  // A tar that is no image archive at all.
  ASSERT_EQ(sh("cd " + f.tmp.path() + " && tar -cf plain.tar rootfs/etc").status, 0);
  expect_refused(f.tmp / "plain.tar", "neither manifest.json");
}
