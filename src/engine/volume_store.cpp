#include "engine/volume_store.hpp"

#include <mutex>
#include <set>
#include <nlohmann/json.hpp>

#include "engine/sqlite_db.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

constexpr const char* kSchema = R"SQL(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS volumes(name TEXT PRIMARY KEY, doc TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS volume_users(
  volume TEXT NOT NULL, container_id TEXT NOT NULL, PRIMARY KEY(volume, container_id));
CREATE TABLE IF NOT EXISTS volume_mounters(
  volume TEXT NOT NULL, container_id TEXT NOT NULL, PRIMARY KEY(volume, container_id));
)SQL";

// The volume's fields as one JSON document: the record grows without schema migrations.
json volume_doc(const VolumeRecord& v) {
  return {{"driver", v.driver}, {"labels", v.labels}, {"options", v.options}, {"created", v.created}};
}

VolumeRecord volume_from_doc(const std::string& name, const std::string& text) {
  VolumeRecord v;
  v.name = name;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return v;
  v.driver = j.value("driver", "local");
  v.labels = j.value("labels", std::map<std::string, std::string>{});
  v.options = j.value("options", std::map<std::string, std::string>{});
  v.created = j.value("created", "");
  return v;
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + ids[i];
  return s + "]";
}

}  // namespace

struct VolumeStore::Db {
  explicit Db(SqliteDb d) : sql(std::move(d)) {}
  SqliteDb sql;
  mutable std::mutex mu;

  Result<std::vector<std::string>> column(const std::string& sql_text, const std::string& param) const {
    Query q(sql.get(), sql_text);
    if (!q.ok()) return fail(sql.err("query volume users"));
    q.text(1, param);
    std::vector<std::string> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(q.col(0));
    if (rc != SQLITE_DONE) return fail(sql.err("query volume users"));
    return out;
  }
};

VolumeStore::VolumeStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
VolumeStore::~VolumeStore() = default;

Result<std::unique_ptr<VolumeStore>> VolumeStore::open(const std::string& path) {
  auto db = std::make_unique<Db>(BERTH_TRY(SqliteDb::open(path, kSchema, "volume database"), ""));
  return std::unique_ptr<VolumeStore>(new VolumeStore(std::move(db)));
}

Result<> VolumeStore::insert(const VolumeRecord& v) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(),
          "INSERT INTO volumes(name, doc, seq) VALUES(?1, ?2, (SELECT COALESCE(MAX(seq),0)+1 FROM volumes))");
  if (!q.ok()) return fail(db_->sql.err("create volume"));
  q.text(1, v.name).text(2, volume_doc(v).dump());
  int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) return fail(ErrorKind::Conflict, "volume " + v.name + " already exists");
  if (rc != SQLITE_DONE) return fail(db_->sql.err("create volume"));
  return {};
}

Result<std::vector<VolumeRecord>> VolumeStore::list() const {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "SELECT name, doc FROM volumes ORDER BY seq");
  if (!q.ok()) return fail(db_->sql.err("list volumes"));
  std::vector<VolumeRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(volume_from_doc(q.col(0), q.col(1)));
  if (rc != SQLITE_DONE) return fail(db_->sql.err("list volumes"));
  return out;
}

Result<VolumeRecord> VolumeStore::get(const std::string& name) const {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "SELECT name, doc FROM volumes WHERE name = ?1");
  if (!q.ok()) return fail(db_->sql.err("get volume"));
  int rc = q.text(1, name).step();
  if (rc == SQLITE_ROW) return volume_from_doc(q.col(0), q.col(1));
  if (rc != SQLITE_DONE) return fail(db_->sql.err("get volume"));
  return fail(ErrorKind::NotFound, "get " + name + ": no such volume");
}

Result<> VolumeStore::remove(const std::string& name) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(),
          "DELETE FROM volumes WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM volume_users WHERE volume = ?1)");
  if (!q.ok() || q.text(1, name).step() != SQLITE_DONE) return fail(db_->sql.err("remove volume"));
  if (db_->sql.changes() > 0) return {};
  auto users = BERTH_TRY(db_->column("SELECT container_id FROM volume_users WHERE volume = ?1 ORDER BY rowid", name), "");
  if (!users.empty()) return fail(ErrorKind::Conflict, "remove " + name + ": volume is in use - " + id_list(users));
  return fail(ErrorKind::NotFound, "get " + name + ": no such volume");
}

Result<> VolumeStore::add_user(const std::string& name, const std::string& container_id) {
  std::lock_guard lk(db_->mu);
  // Only a volume that exists gains a user: the insert selects it.
  Query q(db_->sql.get(),
          "INSERT OR IGNORE INTO volume_users(volume, container_id) SELECT name, ?2 FROM volumes WHERE name = ?1");
  if (!q.ok() || q.text(1, name).text(2, container_id).step() != SQLITE_DONE)
    return fail(db_->sql.err("add volume user"));
  if (db_->sql.changes() > 0) return {};
  auto users = BERTH_TRY(db_->column("SELECT container_id FROM volume_users WHERE volume = ?1", name), "");
  for (auto& u : users)
    if (u == container_id) return {};
  return fail(ErrorKind::NotFound, "get " + name + ": no such volume");
}

Result<std::vector<std::string>> VolumeStore::users(const std::string& name) const {
  std::lock_guard lk(db_->mu);
  return db_->column("SELECT container_id FROM volume_users WHERE volume = ?1 ORDER BY rowid", name);
}

Result<std::vector<std::string>> VolumeStore::remove_user(const std::string& container_id) {
  std::lock_guard lk(db_->mu);
  auto names = BERTH_TRY(
      db_->column("SELECT volume FROM volume_users WHERE container_id = ?1 ORDER BY rowid", container_id), "");
  Query q(db_->sql.get(), "DELETE FROM volume_users WHERE container_id = ?1");
  if (!q.ok() || q.text(1, container_id).step() != SQLITE_DONE) return fail(db_->sql.err("remove volume user"));
  return names;
}

Result<> VolumeStore::add_mounter(const std::string& name, const std::string& container_id) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "INSERT OR IGNORE INTO volume_mounters(volume, container_id) VALUES(?1, ?2)");
  if (!q.ok() || q.text(1, name).text(2, container_id).step() != SQLITE_DONE)
    return fail(db_->sql.err("add volume mounter"));
  return {};
}

Result<std::vector<std::string>> VolumeStore::mounters(const std::string& name) const {
  std::lock_guard lk(db_->mu);
  return db_->column("SELECT container_id FROM volume_mounters WHERE volume = ?1 ORDER BY rowid", name);
}

Result<std::vector<std::string>> VolumeStore::remove_mounter(const std::string& container_id) {
  std::lock_guard lk(db_->mu);
  auto names = BERTH_TRY(
      db_->column("SELECT volume FROM volume_mounters WHERE container_id = ?1 ORDER BY rowid", container_id), "");
  Query q(db_->sql.get(), "DELETE FROM volume_mounters WHERE container_id = ?1");
  if (!q.ok() || q.text(1, container_id).step() != SQLITE_DONE) return fail(db_->sql.err("remove volume mounter"));
  return names;
}

Result<> VolumeStore::reconcile(const std::vector<std::string>& existing, const std::vector<std::string>& running) {
  std::lock_guard lk(db_->mu);
  auto run = [&](const char* sql) { return sqlite3_exec(db_->sql.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK; };
  if (!run("BEGIN IMMEDIATE")) return fail(db_->sql.err("reconcile volume users"));
  auto prune = [&](const char* table, const std::vector<std::string>& keep) -> bool {
    std::set<std::string> k(keep.begin(), keep.end());
    auto ids = db_->column(std::string("SELECT DISTINCT container_id FROM ") + table + " WHERE ?1 = ?1", "");
    if (!ids) return false;
    for (auto& id : *ids) {
      if (k.count(id)) continue;
      Query q(db_->sql.get(), std::string("DELETE FROM ") + table + " WHERE container_id = ?1");
      if (!q.ok() || q.text(1, id).step() != SQLITE_DONE) return false;
    }
    return true;
  };
  if (!prune("volume_users", existing) || !prune("volume_mounters", running) || !run("COMMIT")) {
    auto e = db_->sql.err("reconcile volume users");
    (void)run("ROLLBACK");
    return fail(e);
  }
  return {};
}

}  // namespace berth::engine
