#include "engine/log_reader.hpp"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "common/fs.hpp"
#include "engine/cri_log.hpp"
#include "engine/exit_record.hpp"
#include "engine/local_log.hpp"
#include "engine/rotating_file.hpp"

namespace berth::engine {

namespace {

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

ino_t inode_of(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

}  // namespace

Result<LogReader> LogReader::open(const std::string& container_dir, const LogFile& file, bool follow, bool from_end) {
  LogReader r;
  r.dir_ = container_dir;
  r.file_ = file;
  std::string log_dir = parent_of(file.path);
  if (log_dir != container_dir) (void)mkdir_p(log_dir, 0710);
  if (follow) {
    // The watch before the file is opened: nothing written in between is missed.
    r.inotify_ = UniqueFd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!r.inotify_) return fail_sys("inotify_init1");
    uint32_t mask = IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF;
    if (inotify_add_watch(r.inotify_.get(), container_dir.c_str(), mask) < 0)
      return fail_sys("watch " + container_dir, ErrorKind::NotFound);
    if (log_dir != container_dir && inotify_add_watch(r.inotify_.get(), log_dir.c_str(), mask) < 0)
      return fail_sys("watch " + log_dir, ErrorKind::NotFound);
  }
  if (from_end) {
    r.fd_ = UniqueFd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_CREAT, 0640));
    if (!r.fd_) return fail_sys("open " + file.path, ErrorKind::NotFound);
    if (lseek(r.fd_.get(), 0, SEEK_END) < 0) return fail_sys("seek " + file.path);
    r.ino_ = inode_of(r.fd_.get());
    return r;
  }
  // From the oldest file: the same walk as following a rotation, so a rotation while the
  // history is read is no special case.
  for (int attempt = 0; attempt < 20 && !r.fd_; ++attempt) {
    auto files = log_files_in_order(file.path);
    if (files.empty()) {
      r.fd_ = UniqueFd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_CREAT, 0640));
      if (!r.fd_) return fail_sys("open " + file.path, ErrorKind::NotFound);
      break;
    }
    UniqueFd fd(::open(files[0].first.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd && inode_of(fd.get()) == files[0].second) r.fd_ = std::move(fd);
  }
  if (!r.fd_) return fail(ErrorKind::Internal, "open " + file.path + ": the log keeps rotating");
  r.ino_ = inode_of(r.fd_.get());
  return r;
}

Result<> LogReader::drain() {
  char buf[64 * 1024];
  while (true) {
    ssize_t n = read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read log");
    if (n == 0) return {};
    partial_.append(buf, static_cast<size_t>(n));
  }
}

void LogReader::decode(std::vector<LogEntry>& out) {
  if (file_.format == LogFormat::Local) {
    partial_.erase(0, decode_local_records(partial_, out));
    return;
  }
  auto parse = file_.format == LogFormat::Cri ? parse_cri_log_line : parse_json_log_line;
  size_t start = 0, nl;
  while ((nl = partial_.find('\n', start)) != std::string::npos) {
    if (auto e = parse(std::string_view(partial_).substr(start, nl - start))) out.push_back(std::move(*e));
    start = nl + 1;
  }
  partial_.erase(0, start);
}

bool LogReader::at_current() const {
  struct stat st {};
  // No file at the path: the shim is between unlink and create (one file kept), not past us.
  if (stat(file_.path.c_str(), &st) != 0) return true;
  return st.st_ino == ino_;
}

bool LogReader::advance() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto files = log_files_in_order(file_.path);
    size_t next = 0;  // ours deleted meanwhile: what is left starts at the oldest
    for (size_t i = 0; i < files.size(); ++i)
      if (files[i].second == ino_) next = i + 1;
    if (next >= files.size()) return false;
    UniqueFd fd(::open(files[next].first.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd || inode_of(fd.get()) != files[next].second) continue;  // renamed under us: scan again
    fd_ = std::move(fd);
    ino_ = files[next].second;
    partial_.clear();  // records never span files: a torn one is gone
    return true;
  }
  return false;
}

Result<std::vector<LogEntry>> LogReader::read_new() {
  std::vector<LogEntry> out;
  while (true) {
    BERTH_CHECK(drain(), "");
    decode(out);
    if (at_current()) break;
    // Rotated away: whatever was written before the rename is in the file we hold.
    BERTH_CHECK(drain(), "");
    decode(out);
    if (!advance()) break;
  }
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

std::optional<int64_t> log_time_ns(const std::string& t) {
  struct tm tm {};
  const char* rest = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  int64_t frac = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, ++digits)
      if (digits < 9) frac = frac * 10 + (*rest - '0');
    for (; digits < 9; ++digits) frac *= 10;
  }
  if (*rest != 'Z') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000000000 + frac;
}

}  // namespace berth::engine
