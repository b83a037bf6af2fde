// Container metadata in SQLite (WAL, one writer at a time): what the container endpoints store
// for each container: identity, image, the create request's Config and HostConfig as JSON,
// and the lifecycle state. Every change is one statement or transaction.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct ContainerRecord {
  std::string id;     // 64 hex
  std::string name;   // "/name"
  std::string image;  // as the client named it
  std::string image_id;
  std::string config_json = "{}", host_config_json = "{}";
  std::string state = "created";  // created running paused restarting removing exited dead
  std::string created, started, finished;  // RFC 3339 with nanoseconds; "" = never
  int exit_code = 0;
  std::string error;
  int64_t pid = 0;
  int restart_count = 0;
  // The user stopped or killed it (dockerd's HasBeenManuallyStopped): an unless-stopped
  // container stays down, also across a berthd restart; cleared by the next start.
  bool manually_stopped = false;
};

// A container whose process exists: running, or paused (frozen).
inline bool is_live(const std::string& state) { return state == "running" || state == "paused"; }

class ContainerStore {
 public:
  static Result<std::unique_ptr<ContainerStore>> open(const std::string& path);
  ~ContainerStore();

  // 409 with dockerd's message when the name (or ID) is taken.
  Result<> insert(const ContainerRecord& c);
  Result<ContainerRecord> get(const std::string& id) const;
  // dockerd's lookup order: full ID, then name ("x" or "/x"), then a unique ID prefix.
  Result<ContainerRecord> find(std::string_view ref) const;
  Result<std::vector<ContainerRecord>> list() const;  // oldest first
  // Writes the lifecycle fields (state, times, exit code, error, pid, restart count, manually stopped).
  Result<> update_state(const ContainerRecord& c);
  Result<> rename(const std::string& id, const std::string& new_name);
  // Replaces the stored HostConfig (docker update).
  Result<> update_host_config(const std::string& id, const std::string& host_config_json);
  Result<> remove(const std::string& id);

 private:
  struct Db;
  explicit ContainerStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace berth::engine
