#include "engine/container_store.hpp"

#include <mutex>

#include "engine/container_id.hpp"
#include "engine/sqlite_db.hpp"

namespace berth::engine {

namespace {

constexpr const char* kSchema = R"SQL(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS containers(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image TEXT NOT NULL, image_id TEXT NOT NULL,
  config TEXT NOT NULL, host_config TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,
  started TEXT NOT NULL DEFAULT '', finished TEXT NOT NULL DEFAULT '', exit_code INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '', pid INTEGER NOT NULL DEFAULT 0, restart_count INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL, manually_stopped INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS containers_seq ON containers(seq);
)SQL";

constexpr const char* kColumns =
    "id, name, image, image_id, config, host_config, state, created, started, finished, exit_code, error, pid, "
    "restart_count, manually_stopped";

ContainerRecord row(const Query& q) {
  ContainerRecord c;
  c.id = q.col(0);
  c.name = q.col(1);
  c.image = q.col(2);
  c.image_id = q.col(3);
  c.config_json = q.col(4);
  c.host_config_json = q.col(5);
  c.state = q.col(6);
  c.created = q.col(7);
  c.started = q.col(8);
  c.finished = q.col(9);
  c.exit_code = static_cast<int>(q.col_num(10));
  c.error = q.col(11);
  c.pid = q.col_num(12);
  c.restart_count = static_cast<int>(q.col_num(13));
  c.manually_stopped = q.col_num(14) != 0;
  return c;
}

std::string name_conflict(const std::string& name, const std::string& id) {
  return "Conflict. The container name \"" + name + "\" is already in use by container \"" + id +
         "\". You have to remove (or rename) that container to be able to reuse that name.";
}

}  // namespace

struct ContainerStore::Db {
  explicit Db(SqliteDb d) : sql(std::move(d)), db(sql.get()) {}
  SqliteDb sql;
  sqlite3* db;
  mutable std::mutex mu;  // one writer; SQLite's own locking covers other processes
  Error err(const std::string& ctx) const { return sql.err(ctx); }
  // Rows of "SELECT <columns> FROM containers <where>" with params bound in order.
  Result<std::vector<ContainerRecord>> select(const std::string& where, const std::vector<std::string>& params) const {
    Query q(db, std::string("SELECT ") + kColumns + " FROM containers " + where);
    if (!q.ok()) return fail(err("query containers"));
    for (size_t i = 0; i < params.size(); ++i) q.text(static_cast<int>(i + 1), params[i]);
    std::vector<ContainerRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(row(q));
    if (rc != SQLITE_DONE) return fail(err("query containers"));
    return out;
  }
};

ContainerStore::ContainerStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
ContainerStore::~ContainerStore() = default;

Result<std::unique_ptr<ContainerStore>> ContainerStore::open(const std::string& path) {
  auto db = std::make_unique<Db>(BERTH_TRY(SqliteDb::open(path, kSchema, "container database"), ""));
  // A database from before the column: add it (fails harmlessly when it exists).
  sqlite3_exec(db->db, "ALTER TABLE containers ADD COLUMN manually_stopped INTEGER NOT NULL DEFAULT 0", nullptr,
               nullptr, nullptr);
  return std::unique_ptr<ContainerStore>(new ContainerStore(std::move(db)));
}

Result<> ContainerStore::insert(const ContainerRecord& c) {
  std::lock_guard lk(db_->mu);
  auto clash = BERTH_TRY(db_->select("WHERE name = ?1 OR id = ?2", {c.name, c.id}), "create container");
  if (!clash.empty()) {
    if (clash[0].name == c.name) return fail(ErrorKind::Conflict, name_conflict(c.name, clash[0].id));
    return fail(ErrorKind::Conflict, "container ID " + c.id + " already exists");
  }
  Query q(db_->db, std::string("INSERT INTO containers(") + kColumns +
                       ", seq) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
                       "(SELECT COALESCE(MAX(seq),0)+1 FROM containers))");
  if (!q.ok()) return fail(db_->err("create container"));
  q.text(1, c.id).text(2, c.name).text(3, c.image).text(4, c.image_id).text(5, c.config_json);
  q.text(6, c.host_config_json).text(7, c.state).text(8, c.created).text(9, c.started).text(10, c.finished);
  q.num(11, c.exit_code).text(12, c.error).num(13, c.pid).num(14, c.restart_count).num(15, c.manually_stopped);
  if (q.step() != SQLITE_DONE) return fail(db_->err("create container"));
  return {};
}

Result<ContainerRecord> ContainerStore::get(const std::string& id) const {
  std::lock_guard lk(db_->mu);
  auto rows = BERTH_TRY(db_->select("WHERE id = ?1", {id}), "");
  if (rows.empty()) return fail(ErrorKind::NotFound, "No such container: " + id);
  return rows[0];
}

Result<ContainerRecord> ContainerStore::find(std::string_view ref) const {
  std::string r(ref);
  auto not_found = [&] { return fail(ErrorKind::NotFound, "No such container: " + r); };
  if (r.empty()) return not_found();
  std::lock_guard lk(db_->mu);
  if (is_full_id(r)) {
    auto rows = BERTH_TRY(db_->select("WHERE id = ?1", {r}), "");
    if (!rows.empty()) return rows[0];
  }
  auto by_name = BERTH_TRY(db_->select("WHERE name = ?1", {r[0] == '/' ? r : "/" + r}), "");
  if (!by_name.empty()) return by_name[0];
  if (r.find_first_not_of("0123456789abcdef") != std::string::npos) return not_found();
  // substr() instead of LIKE: no wildcard characters to escape.
  auto rows = BERTH_TRY(db_->select("WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2", {r}), "");
  if (rows.empty()) return not_found();
  if (rows.size() > 1) return fail(ErrorKind::Invalid, "multiple IDs found with provided prefix: " + r);
  return rows[0];
}

Result<std::vector<ContainerRecord>> ContainerStore::list() const {
  std::lock_guard lk(db_->mu);
  return db_->select("ORDER BY seq", {});
}

Result<> ContainerStore::update_state(const ContainerRecord& c) {
  std::lock_guard lk(db_->mu);
  Query q(db_->db,
          "UPDATE containers SET state=?2, started=?3, finished=?4, exit_code=?5, error=?6, pid=?7, "
          "restart_count=?8, manually_stopped=?9 WHERE id=?1");
  if (!q.ok()) return fail(db_->err("update container"));
  q.text(1, c.id).text(2, c.state).text(3, c.started).text(4, c.finished).num(5, c.exit_code).text(6, c.error);
  q.num(7, c.pid).num(8, c.restart_count).num(9, c.manually_stopped);
  if (q.step() != SQLITE_DONE) return fail(db_->err("update container"));
  if (sqlite3_changes(db_->db) == 0) return fail(ErrorKind::NotFound, "No such container: " + c.id);
  return {};
}

Result<> ContainerStore::rename(const std::string& id, const std::string& new_name) {
  std::lock_guard lk(db_->mu);
  auto clash = BERTH_TRY(db_->select("WHERE name = ?1", {new_name}), "rename container");
  if (!clash.empty()) return fail(ErrorKind::Conflict, name_conflict(new_name, clash[0].id));
  Query q(db_->db, "UPDATE containers SET name=?2 WHERE id=?1");
  if (!q.ok()) return fail(db_->err("rename container"));
  q.text(1, id).text(2, new_name);
  if (q.step() != SQLITE_DONE) return fail(db_->err("rename container"));
  if (sqlite3_changes(db_->db) == 0) return fail(ErrorKind::NotFound, "No such container: " + id);
  return {};
}

Result<> ContainerStore::update_host_config(const std::string& id, const std::string& host_config_json) {
  std::lock_guard lk(db_->mu);
  Query q(db_->db, "UPDATE containers SET host_config=?2 WHERE id=?1");
  if (!q.ok()) return fail(db_->err("update container"));
  q.text(1, id).text(2, host_config_json);
  if (q.step() != SQLITE_DONE) return fail(db_->err("update container"));
  if (sqlite3_changes(db_->db) == 0) return fail(ErrorKind::NotFound, "No such container: " + id);
  return {};
}

Result<> ContainerStore::remove(const std::string& id) {
  std::lock_guard lk(db_->mu);
  Query q(db_->db, "DELETE FROM containers WHERE id=?1");
  if (!q.ok() || q.text(1, id).step() != SQLITE_DONE) return fail(db_->err("remove container"));
  if (sqlite3_changes(db_->db) == 0) return fail(ErrorKind::NotFound, "No such container: " + id);
  return {};
}

}  // namespace berth::engine
