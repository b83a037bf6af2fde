// The volume store: names unique, users block removal with dockerd's message, rows persist.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/volume_service.hpp"
#include "engine/volume_store.hpp"

using namespace berth::engine;

namespace {
struct TmpDir {
  std::string path;
  TmpDir() {
    char t[] = "/tmp/berth-volstore-XXXXXX";
    path = mkdtemp(t);
  }
  ~TmpDir() { std::filesystem::remove_all(path); }
};
}  // namespace

TEST(VolumeStore, InsertGetUsersRemovePersist) {
  TmpDir dir;
  std::string db = dir.path + "/v.db";
  {
    auto s = VolumeStore::open(db);
    ASSERT_TRUE(s) << s.error().message;
    VolumeRecord v{"data", "local", {{"k", "v"}}, {}, "2026-01-01T00:00:00Z"};
    ASSERT_TRUE((*s)->insert(v));
    auto dup = (*s)->insert(v);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().kind, berth::ErrorKind::Conflict);
    ASSERT_TRUE((*s)->add_user("data", "c1"));
    ASSERT_TRUE((*s)->add_user("data", "c2"));
    ASSERT_TRUE((*s)->add_user("data", "c1"));  // idempotent
    auto in_use = (*s)->remove("data");
    ASSERT_FALSE(in_use);
    EXPECT_EQ(in_use.error().kind, berth::ErrorKind::Conflict);
    EXPECT_EQ(in_use.error().message, "remove data: volume is in use - [c1, c2]");
    auto missing = (*s)->add_user("nosuch", "c1");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "get nosuch: no such volume");
    EXPECT_EQ(*(*s)->remove_user("c1"), std::vector<std::string>{"data"});
  }
  auto s = VolumeStore::open(db);
  ASSERT_TRUE(s);
  auto v = (*s)->get("data");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->labels.at("k"), "v");
  EXPECT_EQ(v->created, "2026-01-01T00:00:00Z");
  EXPECT_EQ(*(*s)->users("data"), std::vector<std::string>{"c2"});
  ASSERT_TRUE((*s)->remove_user("c2"));
  ASSERT_TRUE((*s)->remove("data"));
  auto gone = (*s)->get("data");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, berth::ErrorKind::NotFound);
  EXPECT_EQ(gone.error().message, "get data: no such volume");
}

TEST(VolumeService, CreateMakesTheDirectoryAndRefusesBadInputWithoutTrace) {
  TmpDir dir;
  auto vs = VolumeService::open(dir.path);
  ASSERT_TRUE(vs) << vs.error().message;
  bool created = false;
  auto v = (*vs)->create({"web", "", {}, {}}, &created);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(created);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path + "/volumes/web/_data"));
  auto again = (*vs)->create({"web", "local", {{"x", "y"}}, {}}, &created);
  ASSERT_TRUE(again);
  EXPECT_FALSE(created) << "an existing volume is returned as it is";
  EXPECT_TRUE(again->labels.empty());
  auto anon = (*vs)->create({});
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->name.size(), 64u);
  EXPECT_EQ(anon->labels.count(kAnonymousVolumeLabel), 1u);
  auto bad = (*vs)->create({"../escape", "", {}, {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("create ../escape: \"../escape\" includes invalid characters", 0), 0u)
      << bad.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/escape"));
  auto opt = (*vs)->create({"o1", "", {}, {{"foo", "1"}}});
  ASSERT_FALSE(opt);
  EXPECT_EQ(opt.error().message, "create o1: invalid option: \"foo\"");
  auto plugin = (*vs)->create({"p1", "nfsplugin", {}, {}});
  ASSERT_FALSE(plugin);
  EXPECT_EQ(plugin.error().message, "create p1: plugin \"nfsplugin\" not found");
  EXPECT_EQ((*vs)->list()->size(), 2u);
  ASSERT_TRUE((*vs)->remove("web"));
  EXPECT_FALSE(std::filesystem::exists(dir.path + "/volumes/web"));
}

// Mounters are the running users; reconcile() keeps only the containers it is told exist/run.
TEST(VolumeStore, MountersAndReconcile) {
  TmpDir dir;
  auto s = VolumeStore::open(dir.path + "/v.db");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*s)->insert(VolumeRecord{"a", "local", {}, {}, ""}));
  ASSERT_TRUE((*s)->insert(VolumeRecord{"b", "local", {}, {}, ""}));
  for (auto id : {"c1", "c2", "gone"}) ASSERT_TRUE((*s)->add_user("a", id));
  ASSERT_TRUE((*s)->add_user("b", "c1"));
  for (auto id : {"c1", "c2"}) ASSERT_TRUE((*s)->add_mounter("a", id));
  ASSERT_TRUE((*s)->add_mounter("b", "c1"));
  EXPECT_EQ(*(*s)->remove_mounter("c1"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*(*s)->mounters("a"), std::vector<std::string>{"c2"});
  EXPECT_EQ(*(*s)->users("a"), (std::vector<std::string>{"c1", "c2", "gone"})) << "stopping is not removing";
  ASSERT_TRUE((*s)->add_mounter("b", "c1"));
  // c1 exists and is stopped, c2 exists and runs, "gone" was removed while the daemon was down.
  ASSERT_TRUE((*s)->reconcile({"c1", "c2"}, {"c2"}));
  EXPECT_EQ(*(*s)->users("a"), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(*(*s)->mounters("a"), std::vector<std::string>{"c2"});
  EXPECT_EQ(*(*s)->mounters("b"), std::vector<std::string>{});
  ASSERT_TRUE((*s)->reconcile({}, {}));
  EXPECT_TRUE((*s)->remove("a")) << "no container left: removable";
}
