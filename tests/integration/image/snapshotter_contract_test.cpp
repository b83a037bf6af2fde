// The contract every Snapshotter passes (DESIGN.md). Real overlay mounts, so it runs as root.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "image/snapshotter.hpp"
#include "image/whiteout.hpp"
#include "support/support.hpp"

using namespace berth::image;
namespace fs = std::filesystem;
using berth::test::TempDir;

namespace {

struct OverlayFactory {
  std::unique_ptr<Snapshotter> make(const std::string& root) { return std::move(*OverlaySnapshotter::open(root)); }
};
// The same overlay snapshotter, mounting deep stacks the way older kernels need.
struct OverlayRelativeFactory {
  std::unique_ptr<Snapshotter> make(const std::string& root) {
    return std::move(*OverlaySnapshotter::open(root, {OverlaySnapshotter::DeepStack::RelativeChdir}));
  }
};

template <class F>
class SnapshotterContract : public ::testing::Test {
 protected:
  TempDir tmp{"berth-snap"};
  std::unique_ptr<Snapshotter> snap = F().make(tmp / "snap");
  std::string mnt = tmp / "mnt";
  void SetUp() override { fs::create_directories(mnt); }

  Digest layer(const std::string& tag, const std::optional<Digest>& parent,
               const std::function<void(const std::string&)>& fill) {
    Digest d = Digest::of(tag);
    auto r = snap->create_layer(d, parent, [&](const std::string& dir) -> berth::Result<> {
      fill(dir);
      return {};
    });
    EXPECT_TRUE(r) << r.error().what();
    return d;
  }
};

using Impls = ::testing::Types<OverlayFactory, OverlayRelativeFactory>;
TYPED_TEST_SUITE(SnapshotterContract, Impls);

void write(const std::string& p, const std::string& s) {
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p) << s;
}
using berth::test::read_text;

}  // namespace

TYPED_TEST(SnapshotterContract, FailedFillLeavesNoLayer) {
  Digest d = Digest::of("bad");
  auto r = this->snap->create_layer(d, std::nullopt, [&](const std::string& dir) -> berth::Result<> {
    write(dir + "/half", "x");
    return berth::fail(berth::ErrorKind::Invalid, "unpack failed");
  });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unpack failed"), std::string::npos);
  EXPECT_FALSE(this->snap->has_layer(d));
  EXPECT_TRUE(this->snap->layers()->empty());
}

TYPED_TEST(SnapshotterContract, LayerIsUnpackedOnce) {
  int calls = 0;
  Digest d = Digest::of("once");
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(this->snap->create_layer(d, std::nullopt, [&](const std::string& dir) -> berth::Result<> {
      ++calls;
      write(dir + "/f", "1");
      return {};
    }));
  EXPECT_EQ(calls, 1);
  // A layer may arrive before its parent, but no snapshot sits on an incomplete stack.
  Digest child = Digest::of("child");
  ASSERT_TRUE(this->snap->create_layer(child, Digest::of("parent"),
                                       [](const std::string&) -> berth::Result<> { return {}; }));
  auto incomplete = this->snap->prepare("early", child);
  ASSERT_FALSE(incomplete);
  EXPECT_EQ(incomplete.error().kind, berth::ErrorKind::NotFound);
  ASSERT_TRUE(this->snap->create_layer(Digest::of("parent"), std::nullopt,
                                       [](const std::string&) -> berth::Result<> { return {}; }));
  EXPECT_TRUE(this->snap->prepare("early", child));
}

TYPED_TEST(SnapshotterContract, MountShowsStackWithWhiteoutsAndCapturesWrites) {
  auto base = this->layer("base", std::nullopt, [](const std::string& d) {
    write(d + "/etc/a", "base-a");
    write(d + "/etc/b", "base-b");
    write(d + "/opq/old", "old");
  });
  auto top = this->layer("top", base, [](const std::string& d) {
    write(d + "/etc/a", "top-a");
    ASSERT_EQ(mknod((d + "/etc/b").c_str(), S_IFCHR, makedev(0, 0)), 0);
    fs::create_directories(d + "/opq");
    int fd = open((d + "/opq").c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_TRUE(set_opaque(fd));
    close(fd);
    write(d + "/opq/new", "new");
  });
  ASSERT_TRUE(this->snap->prepare("c1", top));
  auto dup = this->snap->prepare("c1", top);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, berth::ErrorKind::Exists);
  auto m = this->snap->mount("c1", this->mnt);
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ(read_text(this->mnt + "/etc/a"), "top-a");
  EXPECT_FALSE(fs::exists(this->mnt + "/etc/b"));
  EXPECT_FALSE(fs::exists(this->mnt + "/opq/old"));
  EXPECT_TRUE(fs::exists(this->mnt + "/opq/new"));
  write(this->mnt + "/etc/written", "w");
  fs::remove(this->mnt + "/etc/a");
  ASSERT_TRUE(this->snap->unmount(this->mnt));
  auto upper = *this->snap->upper_dir("c1");
  EXPECT_EQ(read_text(upper + "/etc/written"), "w");
  struct stat st;
  ASSERT_EQ(lstat((upper + "/etc/a").c_str(), &st), 0);
  EXPECT_TRUE(is_overlay_whiteout(st));
  // Layers are untouched by the container's writes.
  EXPECT_EQ(read_text(*this->snap->layer_dir(top) + "/etc/a"), "top-a");
  EXPECT_EQ(**this->snap->parent_of("c1"), top);
  ASSERT_TRUE(this->snap->remove("c1"));
  EXPECT_FALSE(this->snap->upper_dir("c1"));
  EXPECT_TRUE(this->snap->snapshots()->empty());
}

TYPED_TEST(SnapshotterContract, EmptySnapshotAndBadKeys) {
  ASSERT_TRUE(this->snap->prepare("scratch", std::nullopt));
  ASSERT_TRUE(this->snap->mount("scratch", this->mnt));
  write(this->mnt + "/x", "1");
  ASSERT_TRUE(this->snap->unmount(this->mnt));
  EXPECT_TRUE(fs::exists(*this->snap->upper_dir("scratch") + "/x"));
  for (auto* k : {"", "..", "a/b"}) {
    auto r = this->snap->prepare(k, std::nullopt);
    ASSERT_FALSE(r) << k;
    EXPECT_EQ(r.error().kind, berth::ErrorKind::Invalid);
  }
  auto missing = this->snap->prepare("x", Digest::of("absent"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, berth::ErrorKind::NotFound);
}

// More layers than one mount(2) option string holds.
TYPED_TEST(SnapshotterContract, ManyLayersStillMount) {
  std::optional<Digest> parent;
  const int n = 160;
  for (int i = 0; i < n; ++i)
    parent = this->layer("layer-" + std::to_string(i), parent,
                         [&](const std::string& d) { write(d + "/l/" + std::to_string(i), std::to_string(i)); });
  ASSERT_TRUE(this->snap->prepare("deep", parent));
  auto m = this->snap->mount("deep", this->mnt);
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ(read_text(this->mnt + "/l/0"), "0");
  EXPECT_EQ(read_text(this->mnt + "/l/" + std::to_string(n - 1)), std::to_string(n - 1));
  size_t count = std::distance(fs::directory_iterator(this->mnt + "/l"), {});
  EXPECT_EQ(count, static_cast<size_t>(n));
  ASSERT_TRUE(this->snap->unmount(this->mnt));
}

TYPED_TEST(SnapshotterContract, RemoveLayer) {
  auto d = this->layer("gone", std::nullopt, [](const std::string& dir) { write(dir + "/f", "1"); });
  ASSERT_TRUE(this->snap->remove_layer(d));
  EXPECT_FALSE(this->snap->has_layer(d));
  EXPECT_FALSE(this->snap->remove_layer(d));
}
