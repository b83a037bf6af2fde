// docker diff: what the container's writable layer changed, as dockerd lists it from an overlay
// upper directory: whiteouts and opaque directories are deletions, entries also found in a
// lower layer are modifications (a directory only when its size, mode or mtime differ), the
// rest additions; the parent of an addition or deletion is listed as modified once.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

enum class ChangeKind { Modify = 0, Add = 1, Delete = 2 };

struct Change {
  std::string path;
  ChangeKind kind;
};

// upper: the writable layer; lowers: the read-only layers, top first. Pre-order, names sorted.
Result<std::vector<Change>> layer_changes(const std::string& upper, const std::vector<std::string>& lowers);

}  // namespace berth::engine
