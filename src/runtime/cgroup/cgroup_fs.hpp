// File-level helpers shared by the cgroup managers: interface-file reads and writes with
// errors that name the file, directory creation with rollback, and deepest-first removal.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::runtime::cg {

inline constexpr uint64_t kMax = UINT64_MAX;  // "max" / "-1" in the kernel's files

// Writes value to dir/file without creating it (a missing file means a missing controller).
Result<> write(const std::string& dir, const std::string& file, std::string_view value);
Result<std::string> read(const std::string& dir, const std::string& file);  // trimmed
// A number file; "max" reads as kMax.
Result<uint64_t> read_u64(const std::string& dir, const std::string& file);
bool has(const std::string& dir, const std::string& file);
// "key value" lines (memory.stat, cpu.stat, memory.events).
std::map<std::string, uint64_t> parse_keyed(std::string_view text);
// Space separated numbers (cpuacct.usage_percpu).
std::vector<uint64_t> parse_list(std::string_view text);

// Creates dir and its missing parents; returns what it created, outermost first.
Result<std::vector<std::string>> make_dirs(const std::string& dir);
// The directories in created that are strict ancestors of one of leaves: what a container's
// creation added above its own cgroup (systemd slices, a /docker parent), removed with it.
std::vector<std::string> ancestors_of(const std::vector<std::string>& created, const std::vector<std::string>& leaves);
// rmdir of each, innermost first, while empty: a parent shared with another cgroup stays.
void remove_empty_parents(const std::vector<std::string>& parents);
// Removes directories created by make_dirs, innermost first; errors are ignored (best effort rollback).
void remove_created(const std::vector<std::string>& created);
// Removes dir and every cgroup below it, deepest first, retrying EBUSY a bounded number of times.
// Missing is success.
Result<> remove_tree(const std::string& dir);
// cgroup.procs of dir and of every cgroup below it.
Result<std::vector<pid_t>> procs_recursive(const std::string& dir);
// Adds pid to dir/cgroup.procs.
Result<> add_pid(const std::string& dir, pid_t pid);

bool block_device_exists(int64_t major, int64_t minor);
// Huge page sizes the kernel supports, named as the cgroup files name them: "2MB", "1GB", "64KB".
std::vector<std::string> hugepage_sizes();

// linux.resources accessors (validate_resources has checked the types); null counts as absent.
inline bool present(const nlohmann::json& o, const char* k) { return o.is_object() && o.contains(k) && !o.at(k).is_null(); }
inline std::optional<int64_t> opt_i(const nlohmann::json& o, const char* k) {
  if (!present(o, k)) return std::nullopt;
  const auto& v = o.at(k);
  if (v.is_number_unsigned()) return v.get<uint64_t>() > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v.get<uint64_t>());
  return v.get<int64_t>();
}
inline std::optional<bool> opt_b(const nlohmann::json& o, const char* k) {
  if (!present(o, k)) return std::nullopt;
  return o.at(k).get<bool>();
}
inline std::optional<std::string> opt_s(const nlohmann::json& o, const char* k) {
  if (!present(o, k)) return std::nullopt;
  return o.at(k).get<std::string>();
}
// The section o[k] when it is a non-empty object or array, else a null json.
inline const nlohmann::json& section(const nlohmann::json& o, const char* k) {
  static const nlohmann::json none;
  if (!present(o, k) || o.at(k).empty()) return none;
  return o.at(k);
}
// Wraps an error with the field it came from: "linux.resources.memory.limit: write ...".
inline Error field_error(const std::string& field, Error e) { return std::move(e).wrap("linux.resources." + field); }
// A device entry's "major:minor" (blkio and io throttles and weights).
inline std::string majmin(const nlohmann::json& e) {
  return std::to_string(*opt_i(e, "major")) + ":" + std::to_string(*opt_i(e, "minor"));
}
// Normalises a value for the kernel: -1 -> "max" (v2) or "-1" (v1).
std::string limit_v2(int64_t v);

}  // namespace berth::runtime::cg
