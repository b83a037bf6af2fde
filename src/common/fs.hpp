// Small filesystem helpers with Result errors.
#pragma once
#include <string>
#include <sys/types.h>

#include "common/error.hpp"

namespace berth {

Result<std::string> read_file(const std::string& path);
// Writes path.tmp, fsyncs, renames over path: readers see the old or the new content.
Result<> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);
// Creates a new file (O_EXCL) without fsync: for records that only need to outlive a killed
// process, not a machine crash.
Result<> create_file(const std::string& path, std::string_view data, mode_t mode = 0644);
// Plain write (for procfs/cgroupfs files that must not be replaced).
Result<> write_file(const std::string& path, std::string_view data);
Result<> mkdir_p(const std::string& path, mode_t mode = 0755);
Result<> remove_all(const std::string& path);
bool path_exists(const std::string& path);
bool is_dir(const std::string& path);
// Whether path is the root of a mount (its device differs from its parent's).
bool is_mountpoint(const std::string& path);
std::string path_join(std::string_view a, std::string_view b);
// Whether a '/'-separated path has a ".." component ("a/../b", ".."; not "a..b").
bool has_dotdot(std::string_view path);
std::string trim(std::string_view s);

}  // namespace berth
