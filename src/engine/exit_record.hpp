// How a container ended, written by its shim (temp, fsync, rename) before the shim exits, so
// that berthd learns it even when it was down at the time.
#pragma once
#include <optional>
#include <string>

#include "common/error.hpp"

namespace berth::engine {

struct ExitRecord {
  int exit_code = 0;     // 128+signal when killed
  std::string finished;  // RFC 3339 with nanoseconds
  std::string error;     // why the shim could not run the container, if it could not
  bool oom_killed = false;  // the kernel's OOM killer killed a process of its cgroup
};

inline constexpr const char* kExitRecordFile = "exit.json";

Result<> write_exit_record(const std::string& dir, const ExitRecord& r);
// nullopt when the shim has not written one (the container has not ended).
std::optional<ExitRecord> read_exit_record(const std::string& dir);

}  // namespace berth::engine
