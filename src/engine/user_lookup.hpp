// Docker's --user: "uid", "name", "uid:gid", "name:group", resolved against the container's
// own /etc/passwd and /etc/group (texts given by the caller, read inside the root).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct ResolvedUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
};

// An empty user is root. A name that is not in passwd is an Invalid error in dockerd's words.
Result<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd, std::string_view group);

// --group-add: a group name from the container's /etc/group, or a number.
Result<uint32_t> resolve_group(std::string_view name, std::string_view group);

// A file of the container's root filesystem (etc/passwd), resolved inside it (symlinks cannot
// leave it); "" when it cannot be read.
std::string read_in_root(const std::string& root, const char* rel);

}  // namespace berth::engine
