// The little of SQLite the engine's stores share: opening a database in WAL mode with its
// schema, and prepared statements that finalize themselves. Only store .cpp files include it.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace berth::engine {

class SqliteDb {
 public:
  // Opens (creating) path and runs schema (CREATE ... IF NOT EXISTS statements).
  static Result<SqliteDb> open(const std::string& path, const char* schema, const std::string& what);
  SqliteDb(SqliteDb&& o) noexcept;
  SqliteDb& operator=(SqliteDb&&) = delete;
  ~SqliteDb();

  sqlite3* get() const { return db_; }
  // "<ctx>: <path>: <sqlite's message>", Internal.
  Error err(const std::string& ctx) const;
  int changes() const { return sqlite3_changes(db_); }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement that finalizes itself.
class Query {
 public:
  Query(sqlite3* db, const std::string& sql) { rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr); }
  Query(const Query&) = delete;
  ~Query() { sqlite3_finalize(st_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Query& text(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& num(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  int step() { return sqlite3_step(st_); }
  std::string col(int c) const {
    auto* p = sqlite3_column_text(st_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t col_num(int c) const { return sqlite3_column_int64(st_, c); }

 private:
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

}  // namespace berth::engine
