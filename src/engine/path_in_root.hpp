// Paths inside a container's root directory, resolved as the kernel resolves them for a process
// chrooted there (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): absolute symlinks and ".."
// stay inside. Callers then act only through the returned fds, never through a joined path,
// so a symlink swapped in later cannot redirect them (CVE-2018-15664).
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::engine {

// Lexical cleaning as Go's path.Clean of "/" + p: "a/../../b/" -> "/b".
std::string clean_abs_path(std::string_view p);

// Opens path (absolute or not, taken from the root) below rootfd. ENOENT/ENOTDIR keep their errno.
Result<UniqueFd> open_in_root(int rootfd, std::string_view path, int flags);

// A small file's content (passwd, group) read inside the root; "" when it cannot be read.
std::string read_small_file_in_root(int rootfd, std::string_view path);

// Docker's ResolvePath: every component but the last is followed inside the root; the last one
// too when the path ends in "/" or "/." (then it must be a directory).
struct ResolvedPath {
  UniqueFd dir;      // O_PATH fd of the directory holding the entry
  std::string base;  // the entry's name in dir ("." when dir is the entry itself)
  std::string abs;   // the cleaned absolute path
};
Result<ResolvedPath> resolve_in_root(int rootfd, std::string_view path);

// What docker cp's X-Docker-Container-Path-Stat header carries.
struct PathStat {
  std::string name;
  int64_t size = 0;
  uint32_t mode = 0;  // Go's os.FileMode bits
  std::string mtime;  // RFC 3339 with nanoseconds, as Go prints a time
  std::string link_target;
};

uint32_t go_file_mode(mode_t m);
// "2026-11-30T03:31:19.705131692Z", trailing zeros of the fraction dropped as Go does.
std::string go_time(const timespec& t);
// The header value: base64 of {"name","size","mode","mtime","linkTarget"}.
std::string encode_path_stat(const PathStat& s);

// Stats r's entry without following it; a symlink's target is resolved inside the root.
Result<PathStat> stat_in_root(int rootfd, const ResolvedPath& r);

}  // namespace berth::engine
