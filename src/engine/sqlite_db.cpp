#include "engine/sqlite_db.hpp"

#include <utility>

namespace berth::engine {

Result<SqliteDb> SqliteDb::open(const std::string& path, const char* schema, const std::string& what) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(ErrorKind::Internal, "open " + what + " " + path + ": " + m);
  }
  SqliteDb out(db, path);
  sqlite3_busy_timeout(db, 5000);
  char* msg = nullptr;
  if (sqlite3_exec(db, schema, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "?";
    sqlite3_free(msg);
    return fail(ErrorKind::Internal, "open " + what + " " + path + ": " + m);
  }
  return out;
}

SqliteDb::SqliteDb(SqliteDb&& o) noexcept : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}
SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close(db_);
}

Error SqliteDb::err(const std::string& ctx) const {
  return make_error(ErrorKind::Internal, ctx + ": " + path_ + ": " + sqlite3_errmsg(db_));
}

}  // namespace berth::engine
