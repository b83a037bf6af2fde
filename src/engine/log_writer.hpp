// What the shim writes a container's output through: one record per line, in the format of
// the container's log driver (json-file, local: rotated files; none: nothing kept).
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
  // line: one line of the stream's output, with its '\n' when it had one.
  virtual void write(std::string_view stream, std::string_view line) = 0;
  virtual void sync() {}
};

Result<std::unique_ptr<LogWriter>> open_log_writer(const LogConfig& c, const std::string& container_dir,
                                                   const std::string& id);

}  // namespace berth::engine
