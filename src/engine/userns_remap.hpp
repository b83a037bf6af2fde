// daemon.json's "userns-remap": which host ids a container's root and the ids after it map to.
// "default" is dockerd's: the user dockremap (created with useradd, then given 65536
// subordinate ids with usermod -v/-w after the highest range in use from 100000 on, as
// dockerd does when it has none); "user", "user:group", "uid:gid" take their ranges from
// /etc/subuid and /etc/subgid (keyed by name or by id), each range mapped after the previous.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct IdRange {
  uint32_t container = 0, host = 0, size = 0;
};

struct UsernsRemap {
  std::string user, group;        // names, as `docker info` and the errors show them
  std::vector<IdRange> uids, gids;
  uint32_t root_uid() const { return uids.front().host; }
  uint32_t root_gid() const { return gids.front().host; }
};

struct SubidFiles {
  std::string subuid = "/etc/subuid", subgid = "/etc/subgid";
};

// value "" -> nullopt (no remapping). Errors name the value, the user and the file.
Result<std::optional<UsernsRemap>> resolve_userns_remap(const std::string& value, const SubidFiles& files = {});

// The first start >= 100000 of a free `size` ids, given the ranges in use (subuid text).
uint32_t next_free_subid_start(const std::string& subid_text, uint32_t size);

}  // namespace berth::engine
