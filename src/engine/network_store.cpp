#include "engine/network_store.hpp"

#include <mutex>
#include <nlohmann/json.hpp>

#include "engine/sqlite_db.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

constexpr const char* kSchema = R"SQL(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS networks(
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS endpoints(
  network_id TEXT NOT NULL, container_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, ip TEXT NOT NULL,
  mac TEXT NOT NULL, host_link TEXT NOT NULL DEFAULT '', fixed_ip INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(network_id, container_id), UNIQUE(network_id, ip));
CREATE TABLE IF NOT EXISTS ports(
  container_id TEXT NOT NULL, network_id TEXT NOT NULL, proto TEXT NOT NULL, host_ip TEXT NOT NULL,
  host_port INTEGER NOT NULL, container_port INTEGER NOT NULL, container_ip TEXT NOT NULL,
  UNIQUE(proto, host_ip, host_port));
)SQL";

// The network's fields as one JSON document: the record grows without schema migrations.
json network_doc(const NetworkRecord& n) {
  return {{"driver", n.driver}, {"subnet", n.subnet},     {"gateway", n.gateway},       {"ip_range", n.ip_range},
          {"bridge", n.bridge}, {"mtu", n.mtu},           {"internal", n.internal},     {"attachable", n.attachable},
          {"labels", n.labels}, {"options", n.options},   {"created", n.created}};
}

NetworkRecord network_from_doc(const std::string& id, const std::string& name, const std::string& text) {
  NetworkRecord n;
  n.id = id;
  n.name = name;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return n;
  n.driver = j.value("driver", "bridge");
  n.subnet = j.value("subnet", "");
  n.gateway = j.value("gateway", "");
  n.ip_range = j.value("ip_range", "");
  n.bridge = j.value("bridge", "");
  n.mtu = j.value("mtu", 0u);
  n.internal = j.value("internal", false);
  n.attachable = j.value("attachable", false);
  n.labels = j.value("labels", std::map<std::string, std::string>{});
  n.options = j.value("options", std::map<std::string, std::string>{});
  n.created = j.value("created", "");
  return n;
}

EndpointRecord endpoint_row(const Query& q) {
  return {q.col(0), q.col(1), q.col(2), q.col(3), q.col(4), q.col(5), q.col_num(6) != 0};
}

PortRecord port_row(const Query& q) {
  return {q.col(0), q.col(1), q.col(2), q.col(3), static_cast<unsigned>(q.col_num(4)),
          static_cast<unsigned>(q.col_num(5)), q.col(6)};
}

constexpr const char* kPortColumns = "container_id, network_id, proto, host_ip, host_port, container_port, container_ip";

constexpr const char* kEndpointColumns = "network_id, container_id, endpoint_id, ip, mac, host_link, fixed_ip";

}  // namespace

struct NetworkStore::Db {
  explicit Db(SqliteDb d) : sql(std::move(d)) {}
  SqliteDb sql;
  mutable std::mutex mu;

  Result<std::vector<EndpointRecord>> select_endpoints(const std::string& where, const std::string& param) const {
    Query q(sql.get(), std::string("SELECT ") + kEndpointColumns + " FROM endpoints " + where);
    if (!q.ok()) return fail(sql.err("query endpoints"));
    q.text(1, param);
    std::vector<EndpointRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(endpoint_row(q));
    if (rc != SQLITE_DONE) return fail(sql.err("query endpoints"));
    return out;
  }

  Result<std::vector<PortRecord>> select_ports(const std::string& where, const std::string& param) const {
    Query q(sql.get(), std::string("SELECT ") + kPortColumns + " FROM ports " + where);
    if (!q.ok()) return fail(sql.err("query ports"));
    if (!param.empty()) q.text(1, param);
    std::vector<PortRecord> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.push_back(port_row(q));
    if (rc != SQLITE_DONE) return fail(sql.err("query ports"));
    return out;
  }
};

NetworkStore::NetworkStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}
NetworkStore::~NetworkStore() = default;

Result<std::unique_ptr<NetworkStore>> NetworkStore::open(const std::string& path) {
  auto db = std::make_unique<Db>(BERTH_TRY(SqliteDb::open(path, kSchema, "network database"), ""));
  return std::unique_ptr<NetworkStore>(new NetworkStore(std::move(db)));
}

Result<> NetworkStore::insert(const NetworkRecord& n) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(),
          "INSERT INTO networks(id, name, doc, seq) VALUES(?1, ?2, ?3, (SELECT COALESCE(MAX(seq),0)+1 FROM networks))");
  if (!q.ok()) return fail(db_->sql.err("create network"));
  q.text(1, n.id).text(2, n.name).text(3, network_doc(n).dump());
  int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) return fail(ErrorKind::Conflict, "network with name " + n.name + " already exists");
  if (rc != SQLITE_DONE) return fail(db_->sql.err("create network"));
  return {};
}

Result<std::vector<NetworkRecord>> NetworkStore::list() const {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "SELECT id, name, doc FROM networks ORDER BY seq");
  if (!q.ok()) return fail(db_->sql.err("list networks"));
  std::vector<NetworkRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(network_from_doc(q.col(0), q.col(1), q.col(2)));
  if (rc != SQLITE_DONE) return fail(db_->sql.err("list networks"));
  return out;
}

Result<> NetworkStore::remove(const std::string& id) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "DELETE FROM networks WHERE id = ?1");
  if (!q.ok() || q.text(1, id).step() != SQLITE_DONE) return fail(db_->sql.err("remove network"));
  if (db_->sql.changes() == 0) return fail(ErrorKind::NotFound, "network " + id + " not found");
  return {};
}

Result<> NetworkStore::add_endpoint(const EndpointRecord& e) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), std::string("INSERT INTO endpoints(") + kEndpointColumns + ") VALUES(?1,?2,?3,?4,?5,?6,?7)");
  if (!q.ok()) return fail(db_->sql.err("add endpoint"));
  q.text(1, e.network_id).text(2, e.container_id).text(3, e.endpoint_id).text(4, e.ip).text(5, e.mac);
  q.text(6, e.host_link).num(7, e.fixed_ip ? 1 : 0);
  int rc = q.step();
  if (rc == SQLITE_CONSTRAINT) return fail(ErrorKind::Conflict, "Address already in use");
  if (rc != SQLITE_DONE) return fail(db_->sql.err("add endpoint"));
  return {};
}

Result<std::vector<EndpointRecord>> NetworkStore::endpoints(const std::string& network_id) const {
  std::lock_guard lk(db_->mu);
  return db_->select_endpoints("WHERE network_id = ?1 ORDER BY rowid", network_id);
}

Result<std::vector<EndpointRecord>> NetworkStore::endpoints_of(const std::string& container_id) const {
  std::lock_guard lk(db_->mu);
  return db_->select_endpoints("WHERE container_id = ?1 ORDER BY rowid", container_id);
}

Result<> NetworkStore::set_host_link(const std::string& network_id, const std::string& container_id,
                                     const std::string& link) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "UPDATE endpoints SET host_link = ?3 WHERE network_id = ?1 AND container_id = ?2");
  if (!q.ok() || q.text(1, network_id).text(2, container_id).text(3, link).step() != SQLITE_DONE)
    return fail(db_->sql.err("update endpoint"));
  return {};
}

Result<> NetworkStore::remove_endpoint(const std::string& network_id, const std::string& container_id) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "DELETE FROM endpoints WHERE network_id = ?1 AND container_id = ?2");
  if (!q.ok() || q.text(1, network_id).text(2, container_id).step() != SQLITE_DONE)
    return fail(db_->sql.err("remove endpoint"));
  return {};
}

Result<> NetworkStore::add_port(const PortRecord& p) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), std::string("INSERT INTO ports(") + kPortColumns + ") VALUES(?1,?2,?3,?4,?5,?6,?7)");
  if (!q.ok()) return fail(db_->sql.err("add port"));
  q.text(1, p.container_id).text(2, p.network_id).text(3, p.proto).text(4, p.host_ip);
  q.num(5, p.host_port).num(6, p.container_port).text(7, p.container_ip);
  int rc = q.step();
  if (rc == SQLITE_CONSTRAINT)
    return fail(ErrorKind::Conflict, "Bind for " + p.host_ip + ":" + std::to_string(p.host_port) + " failed: port is already allocated");
  if (rc != SQLITE_DONE) return fail(db_->sql.err("add port"));
  return {};
}

Result<std::vector<PortRecord>> NetworkStore::ports() const {
  std::lock_guard lk(db_->mu);
  return db_->select_ports("ORDER BY rowid", "");
}

Result<std::vector<PortRecord>> NetworkStore::ports_of(const std::string& container_id) const {
  std::lock_guard lk(db_->mu);
  return db_->select_ports("WHERE container_id = ?1 ORDER BY rowid", container_id);
}

Result<> NetworkStore::remove_ports(const std::string& container_id) {
  std::lock_guard lk(db_->mu);
  Query q(db_->sql.get(), "DELETE FROM ports WHERE container_id = ?1");
  if (!q.ok() || q.text(1, container_id).step() != SQLITE_DONE) return fail(db_->sql.err("remove ports"));
  return {};
}

}  // namespace berth::engine
