#include "engine/log_writer.hpp"

#include <chrono>

#include "common/fs.hpp"
#include "engine/json_log.hpp"
#include "engine/local_log.hpp"
#include "engine/rotating_file.hpp"

namespace berth::engine {

namespace {

class NoLog final : public LogWriter {
 public:
  void write(std::string_view, std::string_view) override {}
};

class FileLog final : public LogWriter {
 public:
  FileLog(LogFormat f, RotatingFile file) : format_(f), file_(std::move(file)) {}
  void write(std::string_view stream, std::string_view line) override {
    auto now = std::chrono::system_clock::now();
    std::string rec =
        format_ == LogFormat::JsonFile
            ? json_log_line(stream, line, rfc3339_nano(now))
            : local_log_record(stream, line,
                               std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
    // A full disk loses lines, never the container: the shim keeps draining its pipes.
    (void)file_.append(rec);
  }
  void sync() override { file_.sync(); }

 private:
  LogFormat format_;
  RotatingFile file_;
};

}  // namespace

Result<std::unique_ptr<LogWriter>> open_log_writer(const LogConfig& c, const std::string& container_dir,
                                                   const std::string& id) {
  auto where = log_file_for(c, container_dir, id);
  if (!where) return std::unique_ptr<LogWriter>(new NoLog());
  auto parent = where->path.substr(0, where->path.rfind('/'));
  BERTH_CHECK(mkdir_p(parent, 0710), "create log dir");
  auto file = BERTH_TRY(RotatingFile::open(where->path, rotation_of(c)), "open log");
  return std::unique_ptr<LogWriter>(new FileLog(where->format, std::move(file)));
}

}  // namespace berth::engine
