// Reads a container's json-file log for `docker logs` and attach: the records already written
// (optionally only the last N), then, when following, the records the shim appends, woken by
// inotify on the container's directory (no polling), until the container has ended.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/json_log.hpp"

namespace berth::engine {

class LogReader {
 public:
  // from_end: start at the current end of the log (attach to a running container).
  static Result<LogReader> open(const std::string& container_dir, const std::string& log_path, bool follow,
                                bool from_end);
  // The last `tail` complete records (all when tail < 0) and moves to the end.
  Result<std::vector<LogEntry>> read_tail(long tail);
  // Records appended since the last call (complete lines only).
  Result<std::vector<LogEntry>> read_new();
  // Readable when the directory changed (a record written, the exit recorded); -1 unless following.
  int wake_fd() const { return inotify_.get(); }
  // Drains the wake fd's events.
  void clear_wake();
  // The shim has recorded the exit (or the container is gone): nothing more will be written.
  bool ended() const;

 private:
  LogReader() = default;
  std::string dir_;
  UniqueFd file_, inotify_;
  std::string partial_;
};

}  // namespace berth::engine
