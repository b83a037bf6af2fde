#include "engine/log_writer.hpp"

#include <chrono>

#include "common/fs.hpp"
#include "engine/cri_log.hpp"
#include "engine/json_log.hpp"
#include "engine/local_log.hpp"
#include "engine/rotating_file.hpp"

namespace berth::engine {

namespace {

class NoLog final : public LogWriter {
 public:
  void write(std::string_view, std::string_view) override {}
};

// berth's own directories are kept from others; the kubelet's is made as containerd makes it.
Result<RotatingFile> open_file(const LogFile& where, Rotation rot) {
  auto parent = where.path.substr(0, where.path.rfind('/'));
  BERTH_CHECK(mkdir_p(parent, where.format == LogFormat::Cri ? 0755 : 0710), "create log dir");
  return RotatingFile::open(where.path, rot);
}

class FileLog final : public LogWriter {
 public:
  FileLog(LogFile where, Rotation rot, RotatingFile file) : where_(std::move(where)), rot_(rot), file_(std::move(file)) {}
  void write(std::string_view stream, std::string_view line) override {
    auto now = std::chrono::system_clock::now();
    std::string rec;
    switch (where_.format) {
      case LogFormat::JsonFile: rec = json_log_line(stream, line, rfc3339_nano(now)); break;
      case LogFormat::Local:
        rec = local_log_record(stream, line,
                               std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
        break;
      case LogFormat::Cri: rec = cri_log_record_of(rfc3339_nano_trimmed(now), stream, line); break;
    }
    // A full disk loses lines, never the container: the shim keeps draining its pipes.
    (void)file_.append(rec);
  }
  Result<> reopen() override {
    file_.sync();
    file_ = BERTH_TRY(open_file(where_, rot_), "reopen log " + where_.path);
    return {};
  }
  void sync() override { file_.sync(); }

 private:
  LogFile where_;
  Rotation rot_;
  RotatingFile file_;
};

}  // namespace

Result<std::unique_ptr<LogWriter>> open_log_writer(const LogConfig& c, const std::string& container_dir,
                                                   const std::string& id) {
  auto where = log_file_for(c, container_dir, id);
  if (!where) return std::unique_ptr<LogWriter>(new NoLog());
  // The kubelet rotates a CRI log itself: it is never rotated here.
  Rotation rot = where->format == LogFormat::Cri ? Rotation{} : rotation_of(c);
  auto file = BERTH_TRY(open_file(*where, rot), "open log");
  return std::unique_ptr<LogWriter>(new FileLog(*where, rot, std::move(file)));
}

}  // namespace berth::engine
