#include "engine/path_in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "image/http.hpp"

namespace berth::engine {

std::string clean_abs_path(std::string_view p) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    auto c = p.substr(i, j - i);
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!c.empty() && c != ".") {
      parts.push_back(c);
    }
    i = j + 1;
  }
  std::string out;
  for (auto c : parts) (out += '/').append(c);
  return out.empty() ? "/" : out;
}

Result<UniqueFd> open_in_root(int rootfd, std::string_view path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string p(path.empty() ? "." : path);
  while (true) {
    long fd = syscall(SYS_openat2, rootfd, p.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || errno == EAGAIN) continue;
    ErrorKind k = errno == ENOENT ? ErrorKind::NotFound : errno == ENOTDIR || errno == ELOOP ? ErrorKind::Invalid
                                                                                              : ErrorKind::Internal;
    return fail_sys("open " + p + " in the container's root", k);
  }
}

std::string read_small_file_in_root(int rootfd, std::string_view path) {
  auto fd = open_in_root(rootfd, path, O_RDONLY);
  if (!fd) return "";
  std::string out;
  char buf[65536];
  while (out.size() < (1u << 20)) {
    ssize_t n = read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<ResolvedPath> resolve_in_root(int rootfd, std::string_view path) {
  ResolvedPath r;
  r.abs = clean_abs_path(path);
  bool follow_last = path.ends_with("/") || path.ends_with("/.") || r.abs == "/";
  if (follow_last) {
    r.dir = BERTH_TRY(open_in_root(rootfd, r.abs, O_PATH | O_DIRECTORY), "");
    r.base = ".";
    return r;
  }
  auto slash = r.abs.rfind('/');
  r.dir = BERTH_TRY(open_in_root(rootfd, slash == 0 ? "/" : r.abs.substr(0, slash), O_PATH | O_DIRECTORY), "");
  r.base = r.abs.substr(slash + 1);
  return r;
}

uint32_t go_file_mode(mode_t m) {
  uint32_t out = m & 0777;
  switch (m & S_IFMT) {
    case S_IFDIR: out |= 1u << 31; break;
    case S_IFLNK: out |= 1u << 27; break;
    case S_IFBLK: out |= 1u << 26; break;
    case S_IFCHR: out |= (1u << 26) | (1u << 21); break;
    case S_IFIFO: out |= 1u << 25; break;
    case S_IFSOCK: out |= 1u << 24; break;
    default: break;
  }
  if (m & S_ISUID) out |= 1u << 23;
  if (m & S_ISGID) out |= 1u << 22;
  if (m & S_ISVTX) out |= 1u << 20;
  return out;
}

std::string go_time(const timespec& t) {
  struct tm tm;
  gmtime_r(&t.tv_sec, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (t.tv_nsec != 0) {
    char frac[16];
    snprintf(frac, sizeof frac, ".%09ld", t.tv_nsec);
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

std::string encode_path_stat(const PathStat& s) {
  nlohmann::ordered_json j = {
      {"name", s.name}, {"size", s.size}, {"mode", s.mode}, {"mtime", s.mtime}, {"linkTarget", s.link_target}};
  return image::http::base64_encode(j.dump());
}

namespace {

std::string fd_path(int fd) {
  std::string proc = "/proc/self/fd/" + std::to_string(fd);
  std::vector<char> buf(4096);
  ssize_t n = readlink(proc.c_str(), buf.data(), buf.size());
  return n < 0 ? std::string() : std::string(buf.data(), static_cast<size_t>(n));
}

// The symlink's target as a path inside the root: the kernel's own resolution (through the fd's
// name, relative to the root's), or the lexical one when it dangles.
std::string link_target(int rootfd, const ResolvedPath& r) {
  if (auto fd = open_in_root(rootfd, r.abs, O_PATH)) {
    std::string root = fd_path(rootfd), full = fd_path(fd->get());
    if (!root.empty() && full.starts_with(root)) {
      std::string rel = full.substr(root == "/" ? 0 : root.size());
      return rel.empty() ? "/" : rel;
    }
  }
  std::vector<char> buf(4096);
  ssize_t n = readlinkat(r.dir.get(), r.base.c_str(), buf.data(), buf.size());
  if (n < 0) return "";
  std::string t(buf.data(), static_cast<size_t>(n));
  if (t.starts_with("/")) return clean_abs_path(t);
  return clean_abs_path(r.abs.substr(0, r.abs.rfind('/')) + "/" + t);
}

}  // namespace

Result<PathStat> stat_in_root(int rootfd, const ResolvedPath& r) {
  struct stat st;
  int flags = AT_SYMLINK_NOFOLLOW | (r.base == "." ? AT_EMPTY_PATH : 0);
  if (fstatat(r.dir.get(), r.base == "." ? "" : r.base.c_str(), &st, flags) != 0)
    return fail_sys("lstat " + r.abs, errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Internal);
  PathStat s;
  s.name = r.abs == "/" ? "/" : r.abs.substr(r.abs.rfind('/') + 1);
  s.size = st.st_size;
  s.mode = go_file_mode(st.st_mode);
  s.mtime = go_time(st.st_mtim);
  if (S_ISLNK(st.st_mode)) s.link_target = link_target(rootfd, r);
  return s;
}

}  // namespace berth::engine
