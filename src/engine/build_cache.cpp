#include "engine/build_cache.hpp"

#include <ctime>
#include <mutex>

#include "engine/sqlite_db.hpp"

namespace berth::engine {

namespace {
const char* kSchema =
    "CREATE TABLE IF NOT EXISTS build_cache (key TEXT PRIMARY KEY, image TEXT NOT NULL, created INTEGER NOT NULL);";
}

struct BuildCache::Db {
  explicit Db(SqliteDb d) : db(std::move(d)) {}
  SqliteDb db;
  std::mutex mu;
};

BuildCache::BuildCache(std::unique_ptr<Db> db) : db_(std::move(db)) {}
BuildCache::~BuildCache() = default;

Result<std::unique_ptr<BuildCache>> BuildCache::open(const std::string& path) {
  auto db = BERTH_TRY(SqliteDb::open(path, kSchema, "build cache"), "");
  return std::unique_ptr<BuildCache>(new BuildCache(std::make_unique<Db>(std::move(db))));
}

Result<std::optional<std::string>> BuildCache::lookup(const std::string& key) {
  std::lock_guard lk(db_->mu);
  Query q(db_->db.get(), "SELECT image FROM build_cache WHERE key = ?");
  if (!q.ok()) return fail(db_->db.err("build cache lookup"));
  q.text(1, key);
  int rc = q.step();
  if (rc == SQLITE_ROW) return q.col(0);
  if (rc != SQLITE_DONE) return fail(db_->db.err("build cache lookup"));
  return std::nullopt;
}

Result<> BuildCache::put(const std::string& key, const std::string& image_id) {
  std::lock_guard lk(db_->mu);
  Query q(db_->db.get(), "INSERT OR REPLACE INTO build_cache (key, image, created) VALUES (?, ?, ?)");
  if (!q.ok()) return fail(db_->db.err("build cache put"));
  q.text(1, key).text(2, image_id).num(3, static_cast<int64_t>(::time(nullptr)));
  if (q.step() != SQLITE_DONE) return fail(db_->db.err("build cache put"));
  return {};
}

Result<std::vector<std::string>> BuildCache::images() {
  std::lock_guard lk(db_->mu);
  Query q(db_->db.get(), "SELECT DISTINCT image FROM build_cache");
  if (!q.ok()) return fail(db_->db.err("build cache list"));
  std::vector<std::string> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(q.col(0));
  if (rc != SQLITE_DONE) return fail(db_->db.err("build cache list"));
  return out;
}

Result<std::vector<std::string>> BuildCache::clear() {
  auto imgs = BERTH_TRY(images(), "");
  std::lock_guard lk(db_->mu);
  Query q(db_->db.get(), "DELETE FROM build_cache");
  if (!q.ok() || q.step() != SQLITE_DONE) return fail(db_->db.err("build cache clear"));
  return imgs;
}

Result<> BuildCache::forget(const std::vector<std::string>& image_ids) {
  std::lock_guard lk(db_->mu);
  for (auto& id : image_ids) {
    Query q(db_->db.get(), "DELETE FROM build_cache WHERE image = ?");
    if (!q.ok()) return fail(db_->db.err("build cache forget"));
    q.text(1, id);
    if (q.step() != SQLITE_DONE) return fail(db_->db.err("build cache forget"));
  }
  return {};
}

}  // namespace berth::engine
