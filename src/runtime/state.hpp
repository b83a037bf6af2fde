// A container's persisted state (<root>/<id>/state.json) and its status, computed from the
// live system: the init's pid and start time, the exec fifo, the freezer.
#pragma once
#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::runtime {

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status s);

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  unsigned long long start_time = 0;  // of pid, to detect pid reuse
  std::string bundle, rootfs;
  std::string created;  // RFC 3339 with nanoseconds
  std::string owner;
  std::map<std::string, std::string> annotations;
  nlohmann::json config;  // the config.json the container was created from
  nlohmann::json cgroup;  // CgroupManager::save()
  std::vector<std::string> dropped_caps;
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/" + id; }
  std::string fifo(const std::string& id) const { return dir(id) + "/exec.fifo"; }

  // Creates <root>/<id>; Exists error if present.
  Result<> reserve(const std::string& id);
  Result<> save(const ContainerState& st);
  Result<ContainerState> load(const std::string& id) const;
  Result<> remove(const std::string& id);
  std::vector<std::string> list() const;

 private:
  std::string root_;
};

Result<> validate_id(const std::string& id);
Status container_status(const StateStore& store, const ContainerState& st);
// The OCI "state" object: ociVersion, id, status, pid, bundle, annotations (+ rootfs, created, owner as runc).
nlohmann::json oci_state(const ContainerState& st, Status status);
std::string rfc3339_now();

}  // namespace berth::runtime
