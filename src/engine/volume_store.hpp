// Volumes and the containers that use them, in SQLite. A volume with a user row cannot be
// deleted: the check and the delete are one statement, so a racing create of a container
// that mounts it cannot slip between them. Users are the containers that exist with the
// volume among their mounts; mounters are those of them running now (a tmpfs volume is
// mounted while it has one).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct VolumeRecord {
  std::string name;
  std::string driver = "local";
  std::map<std::string, std::string> labels, options;
  std::string created;  // RFC 3339
};

class VolumeStore {
 public:
  static Result<std::unique_ptr<VolumeStore>> open(const std::string& path);
  ~VolumeStore();

  // 409 when the name is taken.
  Result<> insert(const VolumeRecord& v);
  Result<std::vector<VolumeRecord>> list() const;  // oldest first
  // 404 "get NAME: no such volume".
  Result<VolumeRecord> get(const std::string& name) const;
  // 409 "remove NAME: volume is in use - [ids]" while a container uses it; 404 when absent.
  Result<> remove(const std::string& name);

  Result<> add_user(const std::string& name, const std::string& container_id);
  Result<std::vector<std::string>> users(const std::string& name) const;
  // Every volume the container used, which it no longer does.
  Result<std::vector<std::string>> remove_user(const std::string& container_id);

  Result<> add_mounter(const std::string& name, const std::string& container_id);
  Result<std::vector<std::string>> mounters(const std::string& name) const;
  // Every volume the container had mounted, which it no longer has (it stopped).
  Result<std::vector<std::string>> remove_mounter(const std::string& container_id);
  // After a crash: users that no longer exist and mounters that no longer run are dropped.
  Result<> reconcile(const std::vector<std::string>& existing, const std::vector<std::string>& running);

 private:
  struct Db;
  explicit VolumeStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace berth::engine
