// Path handling that cannot leave a root directory: tar entry names are cleaned (absolute
// paths and ".." refused), and every lookup goes through openat2(RESOLVE_BENEATH), so a
// symlink that points outside makes the lookup fail instead of being followed.
#pragma once
#include <string>
#include <utility>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::image {

// "./a//b/" -> "a/b"; "." -> "" (the root). Refuses "/abs", "a/../b" and NUL bytes.
Result<std::string> clean_entry_path(std::string_view name);

// Opens rel (may be "") below rootfd with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS.
// Escaping symlinks fail with an error that says so.
Result<UniqueFd> open_beneath(int rootfd, const std::string& rel, int flags);

// Opens the parent directory of rel (O_PATH), creating missing directories (0755) when create
// is set; returns it with the final component.
Result<std::pair<UniqueFd, std::string>> open_parent(int rootfd, const std::string& rel, bool create);

// Removes name in dirfd, recursively when it is a directory; symlinks are never followed.
Result<> remove_at(int dirfd, const std::string& name);

std::string parent_of(const std::string& rel);  // "a/b" -> "a", "a" -> ""
std::string base_of(const std::string& rel);    // "a/b" -> "b"

}  // namespace berth::image
