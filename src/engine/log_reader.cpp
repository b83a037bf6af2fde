#include "engine/log_reader.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <deque>

#include "common/fs.hpp"
#include "engine/exit_record.hpp"

namespace berth::engine {

Result<LogReader> LogReader::open(const std::string& container_dir, const std::string& log_path, bool follow,
                                  bool from_end) {
  LogReader r;
  r.dir_ = container_dir;
  if (follow) {
    // The watch before the file is opened: nothing written in between is missed.
    r.inotify_ = UniqueFd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!r.inotify_) return fail_sys("inotify_init1");
    if (inotify_add_watch(r.inotify_.get(), container_dir.c_str(), IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF) < 0)
      return fail_sys("watch " + container_dir, ErrorKind::NotFound);
  }
  r.file_ = UniqueFd(::open(log_path.c_str(), O_RDONLY | O_CLOEXEC | O_CREAT, 0640));
  if (!r.file_) return fail_sys("open " + log_path, ErrorKind::NotFound);
  if (from_end && lseek(r.file_.get(), 0, SEEK_END) < 0) return fail_sys("seek " + log_path);
  return r;
}

Result<std::vector<LogEntry>> LogReader::read_new() {
  std::vector<LogEntry> out;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = read(file_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read log");
    if (n == 0) break;
    partial_.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0, nl;
  while ((nl = partial_.find('\n', start)) != std::string::npos) {
    if (auto e = parse_json_log_line(std::string_view(partial_).substr(start, nl - start))) out.push_back(std::move(*e));
    start = nl + 1;
  }
  partial_.erase(0, start);
  return out;
}

Result<std::vector<LogEntry>> LogReader::read_tail(long tail) {
  auto all = BERTH_TRY(read_new(), "");
  if (tail < 0 || static_cast<size_t>(tail) >= all.size()) return all;
  return std::vector<LogEntry>(std::make_move_iterator(all.end() - tail), std::make_move_iterator(all.end()));
}

void LogReader::clear_wake() {
  char buf[4096];
  while (inotify_ && read(inotify_.get(), buf, sizeof buf) > 0) {
  }
}

bool LogReader::ended() const { return !is_dir(dir_) || read_exit_record(dir_).has_value(); }

}  // namespace berth::engine
