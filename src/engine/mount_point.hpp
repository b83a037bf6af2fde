// A container's mounts as the create request gives them (HostConfig.Binds "-v" strings,
// HostConfig.Mounts objects, HostConfig.Tmpfs, Config.Volumes), checked with dockerd's
// messages before anything exists, and as inspect's "Mounts" shows them afterwards.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct MountPoint {
  std::string type;         // bind, volume, tmpfs
  std::string name;         // volume: its name ("" until an anonymous one is made)
  std::string source;       // bind: the host path; volume: its mountpoint once known
  std::string destination;  // cleaned absolute path in the container
  bool rw = true;
  std::string mode;         // the -v mode string as given ("ro,z"), "" otherwise
  std::string propagation;  // bind: "rprivate" unless given
  bool nocopy = false;      // volume: not filled from the image
  bool create_source = false;  // -v bind: a missing host path becomes a directory
  std::map<std::string, std::string> volume_labels, volume_opts;  // --mount volume-label/volume-opt
  std::string driver;       // volume: "" or "local"
  std::string tmpfs_data;   // tmpfs: "size=1m,mode=755"
  bool listed = true;       // in inspect's Mounts (dockerd leaves --tmpfs ones out)
};

// Destinations: absolute, not "/", no ".." component (checked, not cleaned away).
Result<std::string> check_destination(const std::string& dest, const std::string& type);
// A HostConfig.Binds entry: "name:/dst[:mode]", "/host:/dst[:mode]" or "/dst".
Result<MountPoint> parse_bind_spec(const std::string& raw);
// A HostConfig.Mounts entry (the API's mount object).
Result<MountPoint> parse_mount_object(const nlohmann::json& m);
// A HostConfig.Tmpfs entry: destination and its options ("size=1m,mode=1777").
Result<MountPoint> parse_tmpfs(const std::string& dest, const std::string& options);
// A HostConfig.VolumesFrom entry: "ctr[:ro|rw]" -> {container, mode ("" = as the donor's)}.
Result<std::pair<std::string, std::string>> parse_volumes_from(const std::string& spec);

// Every mount of a create request. Binds, Mounts and Tmpfs may not name a destination twice
// ("Duplicate mount point"); then the mounts inherited through --volumes-from and the VOLUME
// paths of request and image (anonymous volumes) fill only destinations not yet taken.
Result<std::vector<MountPoint>> parse_container_mounts(const nlohmann::json& hc, const nlohmann::json& config,
                                                       const nlohmann::json& image_config,
                                                       const std::vector<MountPoint>& inherited = {});

// inspect's Mounts entry, and the record berth keeps of it.
nlohmann::json mount_point_inspect(const MountPoint& m);
nlohmann::json mount_point_to_json(const MountPoint& m);
MountPoint mount_point_from_json(const nlohmann::json& j);

}  // namespace berth::engine
