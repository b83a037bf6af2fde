// A log file that rotates by size, as dockerd's: when the next record would take the current
// file past max-size, path.N-1 goes, path.K becomes path.K+1, path becomes path.1 and a new path
// is started. Records are never split across files. Renames, never copies: a reader holding
// the old file keeps reading it to its end (see log_reader.hpp).
#pragma once
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/log_config.hpp"

namespace berth::engine {

class RotatingFile {
 public:
  static Result<RotatingFile> open(std::string path, Rotation rotation);
  // Appends one whole record, rotating first when it would not fit.
  Result<> append(std::string_view record);
  void sync();

 private:
  Result<> rotate();
  std::string path_;
  Rotation rot_;
  UniqueFd fd_;
  int64_t size_ = 0;
};

// path.K for K >= 1.
std::string rotated_name(const std::string& path, int k);

// The files of a log, oldest first, the current one last: (name, inode). Scanned newest first
// so that a file moving during a rotation is seen twice (and the scan retried), never missed.
std::vector<std::pair<std::string, ino_t>> log_files_in_order(const std::string& path);

}  // namespace berth::engine
