// RUN --mount=type=cache|bind|tmpfs,... with BuildKit's syntax (a CSV list of key=value
// fields): what the executor mounts for the command.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine::build {

enum class MountType { Bind, Cache, Tmpfs };
enum class CacheSharing { Shared, Private, Locked };

struct RunMount {
  MountType type = MountType::Bind;
  std::string target;  // where in the container (required)
  std::string source;  // bind: path in `from` (its root when empty); cache: subpath
  std::string from;    // bind/cache: stage name, stage index or image; "" = context (bind)
  bool readonly = true;  // bind is read-only unless rw; cache and tmpfs are writable
  std::string id;        // cache: the cache's id (the target when not given)
  CacheSharing sharing = CacheSharing::Shared;
  std::optional<uint32_t> mode, uid, gid;  // cache: the new directory's mode and owner
  std::optional<uint64_t> size;            // tmpfs: bytes
  friend bool operator==(const RunMount&, const RunMount&) = default;
};

// Parses one --mount value. Errors name the bad field ("unexpected key 'foo' in 'foo=1'").
Result<RunMount> parse_run_mount(std::string_view value);

}  // namespace berth::engine::build
