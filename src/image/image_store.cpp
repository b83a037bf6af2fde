#include "image/image_store.hpp"

#include <sqlite3.h>

#include <ctime>
#include <functional>
#include <mutex>
#include <set>

namespace berth::image {

namespace {

constexpr const char* kSchema = R"SQL(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
PRAGMA foreign_keys=ON;
CREATE TABLE IF NOT EXISTS images(
  id TEXT PRIMARY KEY, manifest_digest TEXT NOT NULL, manifest_media_type TEXT NOT NULL,
  created TEXT, os TEXT, arch TEXT, size INTEGER, added INTEGER);
CREATE TABLE IF NOT EXISTS image_layers(
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
  chain_id TEXT NOT NULL, diff_id TEXT NOT NULL, blob TEXT NOT NULL, media_type TEXT,
  blob_size INTEGER, size INTEGER, PRIMARY KEY(image_id, idx));
CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);
CREATE TABLE IF NOT EXISTS image_blobs(
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, digest TEXT NOT NULL,
  PRIMARY KEY(image_id, digest));
CREATE TABLE IF NOT EXISTS layers(chain_id TEXT PRIMARY KEY, parent TEXT);
CREATE TABLE IF NOT EXISTS tags(name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS repo_digests(
  name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS snapshots(key TEXT PRIMARY KEY, image_id TEXT, chain_id TEXT);
CREATE TABLE IF NOT EXISTS image_parents(
  id TEXT PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE, parent TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS image_parents_parent ON image_parents(parent);
)SQL";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Stmt() { sqlite3_finalize(st_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(st_, i);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(st_); }
  std::string text(int c) const {
    auto* p = sqlite3_column_text(st_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t i64(int c) const { return sqlite3_column_int64(st_, c); }

 private:
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

Digest dg(const std::string& s) {
  auto d = Digest::parse(s);
  return d ? *d : Digest();
}

}  // namespace

struct ImageStore::Db {
  sqlite3* db = nullptr;
  std::string path;
  mutable std::recursive_mutex mu;
  ~Db() {
    if (db) sqlite3_close(db);
  }
  Error err(const std::string& ctx) const {
    return make_error(ErrorKind::Internal, ctx + ": sqlite: " + sqlite3_errmsg(db));
  }
  Result<> exec(const char* sql, const std::string& ctx) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "error";
      sqlite3_free(msg);
      return fail(ErrorKind::Internal, ctx + ": sqlite: " + m);
    }
    return {};
  }
  // Runs body in one IMMEDIATE transaction; rolls back when it fails.
  Result<> tx(const std::string& ctx, const std::function<Result<>()>& body) {
    std::lock_guard lk(mu);
    BERTH_CHECK(exec("BEGIN IMMEDIATE", ctx), "");
    auto r = body();
    if (!r) {
      (void)exec("ROLLBACK", ctx);
      return fail(r.error().wrap(ctx));
    }
    return exec("COMMIT", ctx);
  }
  Result<> run(Stmt& s, const std::string& ctx) {
    if (!s.ok()) return fail(err(ctx));
    int rc = s.step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return fail(err(ctx));
    return {};
  }
};

ImageStore::ImageStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
ImageStore::~ImageStore() = default;

Result<std::unique_ptr<ImageStore>> ImageStore::open(const std::string& path) {
  auto db = std::make_unique<Db>();
  db->path = path;
  if (sqlite3_open_v2(path.c_str(), &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return fail(ErrorKind::Internal, "open image metadata " + path + ": " + (db->db ? sqlite3_errmsg(db->db) : "?"));
  sqlite3_busy_timeout(db->db, 10000);
  BERTH_CHECK(db->exec(kSchema, "image metadata schema"), "open " + path);
  return std::unique_ptr<ImageStore>(new ImageStore(std::move(db)));
}

Result<> ImageStore::put_image(const ImageRecord& img) {
  return db_->tx("record image " + img.id.str(), [&]() -> Result<> {
    Stmt s(db_->db,
           "INSERT INTO images(id,manifest_digest,manifest_media_type,created,os,arch,size,added) "
           "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET manifest_digest=excluded.manifest_digest,"
           "manifest_media_type=excluded.manifest_media_type");
    s.bind(1, img.id.str()).bind(2, img.manifest_digest.str()).bind(3, img.manifest_media_type).bind(4, img.created);
    s.bind(5, img.os).bind(6, img.architecture).bind(7, img.size).bind(8, static_cast<int64_t>(time(nullptr)));
    BERTH_CHECK(db_->run(s, "insert image"), "");
    Stmt del(db_->db, "DELETE FROM image_layers WHERE image_id=?");
    del.bind(1, img.id.str());
    BERTH_CHECK(db_->run(del, "replace layers"), "");
    for (size_t i = 0; i < img.layers.size(); ++i) {
      auto& l = img.layers[i];
      Stmt li(db_->db,
              "INSERT INTO image_layers(image_id,idx,chain_id,diff_id,blob,media_type,blob_size,size) "
              "VALUES(?,?,?,?,?,?,?,?)");
      li.bind(1, img.id.str()).bind(2, static_cast<int64_t>(i)).bind(3, l.chain_id.str()).bind(4, l.diff_id.str());
      li.bind(5, l.blob.str()).bind(6, l.media_type).bind(7, l.blob_size).bind(8, l.size);
      BERTH_CHECK(db_->run(li, "insert layer"), "");
      Stmt lp(db_->db, "INSERT OR IGNORE INTO layers(chain_id,parent) VALUES(?,?)");
      lp.bind(1, l.chain_id.str());
      if (i > 0)
        lp.bind(2, img.layers[i - 1].chain_id.str());
      else
        lp.bind_null(2);
      BERTH_CHECK(db_->run(lp, "insert layer parent"), "");
    }
    for (auto& b : img.extra_blobs) {
      Stmt bi(db_->db, "INSERT OR IGNORE INTO image_blobs(image_id,digest) VALUES(?,?)");
      bi.bind(1, img.id.str()).bind(2, b.str());
      BERTH_CHECK(db_->run(bi, "insert blob"), "");
    }
    for (auto& t : img.repo_tags) BERTH_CHECK(tag(t, img.id), "");
    for (auto& r : img.repo_digests) {
      Stmt ri(db_->db, "INSERT OR REPLACE INTO repo_digests(name,image_id) VALUES(?,?)");
      ri.bind(1, r).bind(2, img.id.str());
      BERTH_CHECK(db_->run(ri, "insert repo digest"), "");
    }
    return {};
  });
}

Result<ImageRecord> ImageStore::get(const Digest& id) const {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "SELECT manifest_digest,manifest_media_type,created,os,arch,size FROM images WHERE id=?");
  s.bind(1, id.str());
  if (s.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, "image " + id.str() + ": not found");
  ImageRecord r;
  r.id = id;
  r.manifest_digest = dg(s.text(0));
  r.manifest_media_type = s.text(1);
  r.created = s.text(2);
  r.os = s.text(3);
  r.architecture = s.text(4);
  r.size = s.i64(5);
  Stmt l(db_->db,
         "SELECT chain_id,diff_id,blob,media_type,blob_size,size FROM image_layers WHERE image_id=? ORDER BY idx");
  l.bind(1, id.str());
  while (l.step() == SQLITE_ROW)
    r.layers.push_back({dg(l.text(0)), dg(l.text(1)), dg(l.text(2)), l.text(3), l.i64(4), l.i64(5)});
  Stmt t(db_->db, "SELECT name FROM tags WHERE image_id=? ORDER BY name");
  t.bind(1, id.str());
  while (t.step() == SQLITE_ROW) r.repo_tags.push_back(t.text(0));
  Stmt d(db_->db, "SELECT name FROM repo_digests WHERE image_id=? ORDER BY name");
  d.bind(1, id.str());
  while (d.step() == SQLITE_ROW) r.repo_digests.push_back(d.text(0));
  Stmt b(db_->db, "SELECT digest FROM image_blobs WHERE image_id=?");
  b.bind(1, id.str());
  while (b.step() == SQLITE_ROW) r.extra_blobs.push_back(dg(b.text(0)));
  Stmt p(db_->db, "SELECT parent FROM image_parents WHERE id=?");
  p.bind(1, id.str());
  if (p.step() == SQLITE_ROW) r.parent = dg(p.text(0));
  return r;
}

Result<std::vector<ImageRecord>> ImageStore::list() const {
  std::vector<Digest> ids;
  {
    std::lock_guard lk(db_->mu);
    Stmt s(db_->db, "SELECT id FROM images ORDER BY added DESC, id");
    while (s.step() == SQLITE_ROW) ids.push_back(dg(s.text(0)));
  }
  std::vector<ImageRecord> out;
  for (auto& id : ids) out.push_back(BERTH_TRY(get(id), "list images"));
  return out;
}

Result<std::optional<Digest>> ImageStore::lookup_tag(const std::string& name) const {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "SELECT image_id FROM tags WHERE name=?");
  s.bind(1, name);
  if (s.step() == SQLITE_ROW) return std::optional<Digest>(dg(s.text(0)));
  return std::optional<Digest>();
}

Result<std::optional<Digest>> ImageStore::lookup_repo_digest(const std::string& name) const {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "SELECT image_id FROM repo_digests WHERE name=?");
  s.bind(1, name);
  if (s.step() == SQLITE_ROW) return std::optional<Digest>(dg(s.text(0)));
  return std::optional<Digest>();
}

Result<std::vector<Digest>> ImageStore::find_by_prefix(const std::string& prefix) const {
  std::lock_guard lk(db_->mu);
  std::vector<Digest> out;
  Stmt s(db_->db, "SELECT id FROM images WHERE substr(id,8,?)=?");
  s.bind(1, static_cast<int64_t>(prefix.size())).bind(2, prefix);
  while (s.step() == SQLITE_ROW) out.push_back(dg(s.text(0)));
  return out;
}

Result<> ImageStore::tag(const std::string& name, const Digest& id) {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "INSERT OR REPLACE INTO tags(name,image_id) VALUES(?,?)");
  s.bind(1, name).bind(2, id.str());
  return db_->run(s, "tag " + name);
}

Result<bool> ImageStore::untag(const std::string& name) {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "DELETE FROM tags WHERE name=?");
  s.bind(1, name);
  BERTH_CHECK(db_->run(s, "untag " + name), "");
  return sqlite3_changes(db_->db) > 0;
}

Result<> ImageStore::delete_image(const Digest& id) {
  return db_->tx("delete image " + id.str(), [&]() -> Result<> {
    for (auto* sql : {"DELETE FROM tags WHERE image_id=?", "DELETE FROM repo_digests WHERE image_id=?",
                      "DELETE FROM image_layers WHERE image_id=?", "DELETE FROM image_blobs WHERE image_id=?",
                      "DELETE FROM image_parents WHERE id=?", "DELETE FROM images WHERE id=?"}) {
      Stmt s(db_->db, sql);
      s.bind(1, id.str());
      BERTH_CHECK(db_->run(s, "delete"), "");
    }
    return {};
  });
}

Result<> ImageStore::set_parent(const Digest& id, const Digest& parent) {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "INSERT OR IGNORE INTO image_parents(id,parent) VALUES(?,?)");
  s.bind(1, id.str()).bind(2, parent.str());
  return db_->run(s, "record the parent of " + id.str());
}

Result<std::vector<Digest>> ImageStore::children(const Digest& id) const {
  std::lock_guard lk(db_->mu);
  std::vector<Digest> out;
  Stmt s(db_->db, "SELECT p.id FROM image_parents p JOIN images i ON i.id=p.id WHERE p.parent=?");
  if (!s.ok()) return fail(db_->err("children of " + id.str()));
  s.bind(1, id.str());
  while (s.step() == SQLITE_ROW) out.push_back(dg(s.text(0)));
  return out;
}

Result<> ImageStore::add_snapshot(const std::string& key, const std::optional<Digest>& image,
                                  const std::optional<Digest>& chain) {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "INSERT INTO snapshots(key,image_id,chain_id) VALUES(?,?,?)");
  s.bind(1, key);
  if (image)
    s.bind(2, image->str());
  else
    s.bind_null(2);
  if (chain)
    s.bind(3, chain->str());
  else
    s.bind_null(3);
  return db_->run(s, "record snapshot " + key);
}

Result<std::optional<Digest>> ImageStore::snapshot_image(const std::string& key) const {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "SELECT image_id FROM snapshots WHERE key=?");
  s.bind(1, key);
  if (s.step() != SQLITE_ROW) return fail(ErrorKind::NotFound, "snapshot " + key + ": not recorded");
  auto t = s.text(0);
  if (t.empty()) return std::optional<Digest>();
  return std::optional<Digest>(dg(t));
}

Result<std::optional<int64_t>> ImageStore::layer_size(const Digest& chain) const {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "SELECT size FROM image_layers WHERE chain_id=? LIMIT 1");
  s.bind(1, chain.str());
  if (s.step() == SQLITE_ROW) return std::optional<int64_t>(s.i64(0));
  return std::optional<int64_t>();
}

Result<> ImageStore::remove_snapshot(const std::string& key) {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "DELETE FROM snapshots WHERE key=?");
  s.bind(1, key);
  return db_->run(s, "forget snapshot " + key);
}

Result<std::vector<std::string>> ImageStore::snapshots_on_image(const Digest& id) const {
  std::lock_guard lk(db_->mu);
  std::vector<std::string> out;
  Stmt s(db_->db, "SELECT key FROM snapshots WHERE image_id=?");
  s.bind(1, id.str());
  while (s.step() == SQLITE_ROW) out.push_back(s.text(0));
  return out;
}

Result<std::vector<Digest>> ImageStore::referenced_chains() const {
  std::lock_guard lk(db_->mu);
  std::set<std::string> seen;
  Stmt s(db_->db, "SELECT DISTINCT chain_id FROM image_layers");
  while (s.step() == SQLITE_ROW) seen.insert(s.text(0));
  // A snapshot keeps its whole stack, even after its image was removed.
  Stmt sn(db_->db, "SELECT chain_id FROM snapshots WHERE chain_id IS NOT NULL");
  std::vector<std::string> tops;
  while (sn.step() == SQLITE_ROW) tops.push_back(sn.text(0));
  for (auto cur : tops) {
    while (!cur.empty() && seen.insert(cur).second) {
      Stmt p(db_->db, "SELECT parent FROM layers WHERE chain_id=?");
      p.bind(1, cur);
      cur = p.step() == SQLITE_ROW ? p.text(0) : "";
    }
    // (a chain already seen has its ancestors recorded through the image that holds it)
  }
  std::vector<Digest> out;
  for (auto& c : seen) out.push_back(dg(c));
  return out;
}

Result<int64_t> ImageStore::layer_refcount(const Digest& chain) const {
  std::lock_guard lk(db_->mu);
  Stmt s(db_->db, "SELECT COUNT(DISTINCT image_id) FROM image_layers WHERE chain_id=?");
  s.bind(1, chain.str());
  int64_t n = s.step() == SQLITE_ROW ? s.i64(0) : 0;
  Stmt sn(db_->db, "SELECT chain_id FROM snapshots WHERE chain_id IS NOT NULL");
  while (sn.step() == SQLITE_ROW) {
    std::string cur = sn.text(0);
    int guard = 0;
    while (!cur.empty() && guard++ < 1000) {
      if (cur == chain.str()) {
        ++n;
        break;
      }
      Stmt p(db_->db, "SELECT parent FROM layers WHERE chain_id=?");
      p.bind(1, cur);
      cur = p.step() == SQLITE_ROW ? p.text(0) : "";
    }
  }
  return n;
}

Result<std::vector<Digest>> ImageStore::referenced_blobs() const {
  std::lock_guard lk(db_->mu);
  std::set<std::string> seen;
  for (auto* sql : {"SELECT id FROM images", "SELECT manifest_digest FROM images", "SELECT blob FROM image_layers",
                    "SELECT digest FROM image_blobs"}) {
    Stmt s(db_->db, sql);
    while (s.step() == SQLITE_ROW) seen.insert(s.text(0));
  }
  std::vector<Digest> out;
  for (auto& c : seen) out.push_back(dg(c));
  return out;
}

}  // namespace berth::image
