// The container metadata database: IDs, names, lookups by prefix, conflicts in dockerd's words,
// state updates that survive reopening, WAL mode.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "engine/container_id.hpp"
#include "engine/container_store.hpp"

using namespace berth;
using namespace berth::engine;
namespace fs = std::filesystem;

namespace {

struct Db : ::testing::Test {
  std::string dir, path;
  std::unique_ptr<ContainerStore> store;
  void SetUp() override {
    char t[] = "/tmp/berth-db-XXXXXX";
    dir = mkdtemp(t);
    path = dir + "/containers.db";
    auto s = ContainerStore::open(path);
    ASSERT_TRUE(s) << s.error().what();
    store = std::move(*s);
  }
  void TearDown() override {
    store.reset();
    fs::remove_all(dir);
  }
  ContainerRecord make(const std::string& id, const std::string& name) {
    ContainerRecord c;
    c.id = id;
    c.name = name;
    c.image = "busybox";
    c.image_id = "sha256:" + std::string(64, 'a');
    c.config_json = R"({"Cmd":["true"]})";
    c.host_config_json = R"({"AutoRemove":true})";
    c.created = "2026-01-01T00:00:00.000000001Z";
    return c;
  }
};

}  // namespace

TEST(ContainerId, IdsAre64HexAndNotNumericShort) {
  for (int i = 0; i < 200; ++i) {
    auto id = generate_id();
    ASSERT_TRUE(is_full_id(id)) << id;
    ASSERT_NE(id.substr(0, 12).find_first_not_of("0123456789"), std::string::npos);
  }
  EXPECT_NE(generate_id(), generate_id());
  EXPECT_FALSE(is_full_id(std::string(64, 'g')));
  EXPECT_FALSE(is_full_id(std::string(63, 'a')));
}

TEST(ContainerId, NameRules) {
  EXPECT_EQ(*normalize_name("web"), "/web");
  EXPECT_EQ(*normalize_name("/web.1_a-b"), "/web.1_a-b");
  for (const char* bad : {"", "/", "a", "-web", "_x", "we b", "web/1", "wéb"}) {
    auto r = normalize_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().http_status(), 400);
    EXPECT_EQ(r.error().message,
              "Invalid container name (" + std::string(bad) + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  EXPECT_TRUE(normalize_name(generate_name()));
}

TEST_F(Db, InsertGetAndList) {
  auto a = make(generate_id(), "/a"), b = make(generate_id(), "/b");
  ASSERT_TRUE(store->insert(a));
  ASSERT_TRUE(store->insert(b));
  auto got = store->get(a.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "/a");
  EXPECT_EQ(got->config_json, a.config_json);
  EXPECT_EQ(got->host_config_json, a.host_config_json);
  EXPECT_EQ(got->state, "created");
  auto all = store->list();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a.id);  // creation order
  EXPECT_EQ((*all)[1].id, b.id);
}

TEST_F(Db, NameConflictIsDockerds409) {
  auto a = make(generate_id(), "/web");
  ASSERT_TRUE(store->insert(a));
  auto r = store->insert(make(generate_id(), "/web"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().http_status(), 409);
  EXPECT_EQ(r.error().message, "Conflict. The container name \"/web\" is already in use by container \"" + a.id +
                                   "\". You have to remove (or rename) that container to be able to reuse that name.");
  EXPECT_EQ(store->list()->size(), 1u);  // nothing half-written
}

TEST_F(Db, FindByIdNameAndUniquePrefix) {
  std::string id1 = "abc" + std::string(61, '1'), id2 = "abd" + std::string(61, '2');
  ASSERT_TRUE(store->insert(make(id1, "/one")));
  ASSERT_TRUE(store->insert(make(id2, "/two")));
  EXPECT_EQ(store->find(id1)->id, id1);
  EXPECT_EQ(store->find("one")->id, id1);
  EXPECT_EQ(store->find("/two")->id, id2);
  EXPECT_EQ(store->find("abc")->id, id1);
  EXPECT_EQ(store->find("abd2")->id, id2);
  auto amb = store->find("ab");
  ASSERT_FALSE(amb);
  EXPECT_EQ(amb.error().http_status(), 400);
  EXPECT_EQ(amb.error().message, "multiple IDs found with provided prefix: ab");
  auto none = store->find("ffff");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().http_status(), 404);
  EXPECT_EQ(none.error().message, "No such container: ffff");
  EXPECT_FALSE(store->find("%"));  // no LIKE wildcards
  EXPECT_FALSE(store->find(""));
}

TEST_F(Db, NameWinsOverPrefix) {
  // dockerd resolves a name before an ID prefix.
  std::string id1 = "beef" + std::string(60, '1'), id2 = "cafe" + std::string(60, '2');
  ASSERT_TRUE(store->insert(make(id1, "/x1")));
  ASSERT_TRUE(store->insert(make(id2, "/beef")));
  EXPECT_EQ(store->find("beef")->id, id2);
}

TEST_F(Db, StateRenameRemoveSurviveReopen) {
  auto c = make(generate_id(), "/s");
  ASSERT_TRUE(store->insert(c));
  c.state = "exited";
  c.started = "2026-01-01T00:00:01Z";
  c.finished = "2026-01-01T00:00:02Z";
  c.exit_code = 137;
  c.error = "oom";
  c.pid = 0;
  c.restart_count = 2;
  ASSERT_TRUE(store->update_state(c));
  ASSERT_TRUE(store->rename(c.id, "/renamed"));
  auto other = make(generate_id(), "/other");
  ASSERT_TRUE(store->insert(other));
  auto clash = store->rename(other.id, "/renamed");
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().http_status(), 409);
  store.reset();
  store = std::move(*ContainerStore::open(path));
  auto got = store->find("renamed");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "exited");
  EXPECT_EQ(got->exit_code, 137);
  EXPECT_EQ(got->error, "oom");
  EXPECT_EQ(got->restart_count, 2);
  EXPECT_EQ(got->finished, "2026-01-01T00:00:02Z");
  ASSERT_TRUE(store->remove(c.id));
  EXPECT_EQ(store->remove(c.id).error().http_status(), 404);
  EXPECT_EQ(store->update_state(c).error().http_status(), 404);
  EXPECT_FALSE(store->find("renamed"));
}

TEST_F(Db, UsesWal) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string mode;
  sqlite3_exec(
      db, "PRAGMA journal_mode;",
      [](void* out, int, char** v, char**) {
        *static_cast<std::string*>(out) = v[0];
        return 0;
      },
      &mode, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(mode, "wal");
}
