#include "engine/rotating_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

namespace berth::engine {

std::string rotated_name(const std::string& path, int k) { return path + "." + std::to_string(k); }

Result<RotatingFile> RotatingFile::open(std::string path, Rotation rotation) {
  RotatingFile f;
  f.path_ = std::move(path);
  f.rot_ = rotation;
  f.fd_ = UniqueFd(::open(f.path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!f.fd_) return fail_sys("open " + f.path_);
  struct stat st {};
  if (fstat(f.fd_.get(), &st) != 0) return fail_sys("stat " + f.path_);
  f.size_ = st.st_size;
  return f;
}

Result<> RotatingFile::rotate() {
  if (rot_.max_file > 1) {
    (void)unlink(rotated_name(path_, rot_.max_file - 1).c_str());
    for (int k = rot_.max_file - 2; k >= 1; --k)
      (void)rename(rotated_name(path_, k).c_str(), rotated_name(path_, k + 1).c_str());
    if (rename(path_.c_str(), rotated_name(path_, 1).c_str()) != 0) return fail_sys("rotate " + path_);
  } else if (unlink(path_.c_str()) != 0) {  // one file: start it again (a reader keeps the old one)
    return fail_sys("rotate " + path_);
  }
  fd_ = UniqueFd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd_) return fail_sys("open " + path_);
  size_ = 0;
  return {};
}

Result<> RotatingFile::append(std::string_view record) {
  auto len = static_cast<int64_t>(record.size());
  if (rot_.max_size > 0 && size_ > 0 && size_ + len > rot_.max_size) BERTH_CHECK(rotate(), "");
  while (!record.empty()) {
    ssize_t n = ::write(fd_.get(), record.data(), record.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_sys("write " + path_);
    record.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
  return {};
}

void RotatingFile::sync() {
  if (fd_) fsync(fd_.get());
}

std::vector<std::pair<std::string, ino_t>> log_files_in_order(const std::string& path) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::vector<std::pair<std::string, ino_t>> newest_first;
    std::set<ino_t> seen;
    bool dup = false;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      newest_first.emplace_back(path, st.st_ino);
      seen.insert(st.st_ino);
    }
    // Rotated files are numbered without gaps, except for one index for an instant while a
    // rotation renames them: stop after two misses in a row.
    for (int k = 1, misses = 0; misses < 2; ++k) {
      std::string name = rotated_name(path, k);
      if (stat(name.c_str(), &st) != 0) {
        ++misses;
        continue;
      }
      misses = 0;
      if (!seen.insert(st.st_ino).second) dup = true;
      newest_first.emplace_back(name, st.st_ino);
    }
    if (dup) continue;
    std::reverse(newest_first.begin(), newest_first.end());
    return newest_first;
  }
  return {};
}

}  // namespace berth::engine
