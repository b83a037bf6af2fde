// Reads a container's log for `docker logs` and attach: the records already written, across
// the rotated files oldest first (optionally only the last N), then, when following, the
// records the shim appends, woken by inotify on the log's directory (no polling), until the
// container has ended. A rotation while following loses and repeats nothing: the reader holds
// the file it is reading, finishes it after the rename, then moves on to the next newer one.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/json_log.hpp"
#include "engine/log_config.hpp"

namespace berth::engine {

class LogReader {
 public:
  // from_end: start at the current end of the log (attach to a running container).
  static Result<LogReader> open(const std::string& container_dir, const LogFile& file, bool follow, bool from_end);
  // The last `tail` complete records (all when tail < 0) and moves to the end.
  Result<std::vector<LogEntry>> read_tail(long tail);
  // Records appended since the last call (complete records only).
  Result<std::vector<LogEntry>> read_new();
  // Readable when the directory changed (a record written, the exit recorded); -1 unless following.
  int wake_fd() const { return inotify_.get(); }
  // Drains the wake fd's events.
  void clear_wake();
  // The shim has recorded the exit (or the container is gone): nothing more will be written.
  bool ended() const;

 private:
  LogReader() = default;
  Result<> drain();          // reads the held file to its end into partial_
  void decode(std::vector<LogEntry>& out);
  bool at_current() const;   // the held file is still the one the shim writes
  bool advance();            // holds the next newer file; false when there is none yet
  std::string dir_;
  LogFile file_;
  UniqueFd fd_, inotify_;
  ino_t ino_ = 0;
  std::string partial_;
};

// A record's time (RFC 3339 with nanoseconds, UTC) in ns since the epoch; nullopt if malformed.
std::optional<int64_t> log_time_ns(const std::string& rfc3339);

}  // namespace berth::engine
