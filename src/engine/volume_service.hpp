// The local volume driver: each volume is a directory <data-root>/volumes/<name>/_data with its
// metadata in the volume store. Names and driver options are checked as dockerd's local driver
// checks them, before anything is created.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/volume_store.hpp"

namespace berth::engine {

// The label dockerd (23+) puts on the volumes it makes for `-v /path` and an image's VOLUME.
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

struct VolumeCreate {
  std::string name;  // "" makes an anonymous volume with a 64-hex name
  std::string driver;  // "" or "local"
  std::map<std::string, std::string> labels, options;
};

// dockerd's 400 for a name outside [a-zA-Z0-9][a-zA-Z0-9_.-]+ (the message tells a user who
// meant a host path to make it absolute).
Result<> validate_volume_name(const std::string& name);
// The local driver's options: type, device, o (size is xfs quota only: refused here).
Result<> validate_volume_options(const std::map<std::string, std::string>& opts);

class VolumeService {
 public:
  static Result<std::unique_ptr<VolumeService>> open(const std::string& data_root);

  // Creates the volume, or returns the existing one of that name (as dockerd does).
  // created is set to whether this call made it.
  Result<VolumeRecord> create(VolumeCreate req, bool* created = nullptr);
  Result<VolumeRecord> get(const std::string& name) const { return store_->get(name); }
  Result<std::vector<VolumeRecord>> list() const { return store_->list(); }
  Result<std::vector<std::string>> users(const std::string& name) const { return store_->users(name); }
  // 409 while in use; its directory goes after its row, so a crash leaves at worst a stray dir.
  Result<> remove(const std::string& name);
  Result<> add_user(const std::string& name, const std::string& container_id) {
    return store_->add_user(name, container_id);
  }
  Result<std::vector<std::string>> remove_user(const std::string& container_id) {
    return store_->remove_user(container_id);
  }

  std::string mountpoint(const std::string& name) const;  // .../volumes/<name>/_data
  // A type=tmpfs volume is a tmpfs on its mountpoint while running containers use it: each start
  // records its container as a mounter and mounts it if no one has (mounted is set when this
  // call did); each stop drops the container's records and unmounts what nobody mounts any more.
  // Nothing is mounted for other volumes.
  // Unmounts the volume when no running container mounts it.
  void unmount_if_unused(const std::string& name);
  static bool is_tmpfs(const VolumeRecord& v);
  Result<> mount_for_use(const VolumeRecord& v, const std::string& container_id, bool* mounted = nullptr);
  void release_mounts_of(const std::string& container_id);
  // At berthd's start, after a crash: users that no longer exist and mounters that no longer
  // run are forgotten, and a volume mounted with no mounter left is unmounted.
  Result<> reconcile(const std::vector<std::string>& existing, const std::vector<std::string>& running);
  // Bytes in the volume's files (each hard-linked file once), as `system df -v` shows.
  int64_t size(const std::string& name) const;

 private:
  VolumeService(std::string root, std::unique_ptr<VolumeStore> store) : root_(std::move(root)), store_(std::move(store)) {}
  std::string root_;  // <data-root>/volumes
  std::unique_ptr<VolumeStore> store_;
};

}  // namespace berth::engine
