// berth run/create's -v/--volume, --mount, --tmpfs and --volumes-from, read as the docker
// client reads them, into the create body (Config.Volumes, HostConfig.Binds, Mounts, Tmpfs,
// VolumesFrom); the daemon checks the rest.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::cli {

struct MountFlags {
  std::vector<std::string> volumes, mounts, tmpfs, volumes_from;
};

void add_mount_flags(CLI::App* sub, MountFlags& f);
Result<> apply_mount_flags(const MountFlags& f, nlohmann::json& body);

// One --mount value ("type=bind,source=/x,target=/y,readonly") as the API's mount object;
// errors with the docker client's wording ("unexpected key 'foo' in 'foo=1'").
Result<nlohmann::json> parse_mount_flag(const std::string& value);

}  // namespace berth::cli
