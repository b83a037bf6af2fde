// What the shim writes a container's output through: one record per line, in the format of
// the container's log driver (json-file, local: rotated files; cri: the kubelet's file, which
// the kubelet rotates and has reopened; none: nothing kept).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "engine/log_config.hpp"

namespace berth::engine {

class LogWriter {
 public:
  virtual ~LogWriter() = default;
  // line: one line of the stream's output, with its '\n' when it had one; without one it is a
  // piece of a longer line (or a TTY's output read before its newline, or the bytes before EOF).
  virtual void write(std::string_view stream, std::string_view line) = 0;
  // Closes the file and opens its path again (a new file when the old one was renamed away);
  // on an error the old file is kept and written on.
  virtual Result<> reopen() { return {}; }
  virtual void sync() {}
};

Result<std::unique_ptr<LogWriter>> open_log_writer(const LogConfig& c, const std::string& container_dir,
                                                   const std::string& id);

}  // namespace berth::engine
