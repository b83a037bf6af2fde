#include "image/safe_path.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace berth::image {

Result<std::string> clean_entry_path(std::string_view name) {
  auto bad = [&](const char* why) {
    return fail(ErrorKind::Invalid, "entry \"" + std::string(name) + "\": " + why);
  };
  if (name.find('\0') != std::string_view::npos) return bad("NUL byte in path");
  if (!name.empty() && name.front() == '/') return bad("absolute path refused");
  std::string out;
  size_t i = 0;
  while (i <= name.size()) {
    auto j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    auto comp = name.substr(i, j - i);
    if (comp == "..") return bad("path escapes the root (\"..\")");
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out.append(comp);
    }
    i = j + 1;
  }
  return out;
}

std::string parent_of(const std::string& rel) {
  auto p = rel.rfind('/');
  return p == std::string::npos ? std::string() : rel.substr(0, p);
}

std::string base_of(const std::string& rel) {
  auto p = rel.rfind('/');
  return p == std::string::npos ? rel : rel.substr(p + 1);
}

Result<UniqueFd> open_beneath(int rootfd, const std::string& rel, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const char* p = rel.empty() ? "." : rel.c_str();
  while (true) {
    long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == EXDEV)
      return fail(make_error(ErrorKind::Invalid, "\"" + rel + "\": path escapes the root through a symlink"));
    if (errno == ELOOP) return fail(make_error(ErrorKind::Invalid, "\"" + rel + "\": too many or magic symlinks"));
    return fail_sys("open \"" + rel + "\" beneath root");
  }
}

Result<std::pair<UniqueFd, std::string>> open_parent(int rootfd, const std::string& rel, bool create) {
  std::string dir = parent_of(rel);
  std::string base = base_of(rel);
  auto fd = open_beneath(rootfd, dir, O_PATH | O_DIRECTORY);
  if (fd) return std::make_pair(std::move(*fd), base);
  if (!create || fd.error().errnum != ENOENT) return fail(fd.error());
  // Walk down, creating what is missing. Each prefix is resolved from the root again so a
  // relative symlink inside the root still works and one that escapes is refused.
  UniqueFd cur = BERTH_TRY(open_beneath(rootfd, "", O_PATH | O_DIRECTORY), "open root");
  std::string prefix;
  size_t i = 0;
  while (i < dir.size()) {
    auto j = dir.find('/', i);
    if (j == std::string::npos) j = dir.size();
    std::string comp = dir.substr(i, j - i);
    std::string next = prefix.empty() ? comp : prefix + "/" + comp;
    auto nfd = open_beneath(rootfd, next, O_PATH | O_DIRECTORY);
    if (!nfd && nfd.error().errnum == ENOENT) {
      if (mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST) return fail_sys("mkdir \"" + next + "\"");
      nfd = open_beneath(rootfd, next, O_PATH | O_DIRECTORY);
    }
    if (!nfd) return fail(nfd.error());
    cur = std::move(*nfd);
    prefix = next;
    i = j + 1;
  }
  return std::make_pair(std::move(cur), base);
}

Result<> remove_at(int dirfd, const std::string& name) {
  struct stat st;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return fail_sys("stat " + name);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) return fail_sys("unlink " + name);
    return {};
  }
  int fd = openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_sys("open " + name);
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return fail_sys("fdopendir " + name);
  }
  std::vector<std::string> names;
  while (auto* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  for (auto& n : names) {
    auto r = remove_at(fd, n);
    if (!r) {
      closedir(d);
      return fail(r.error().wrap(name));
    }
  }
  closedir(d);
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return fail_sys("rmdir " + name);
  return {};
}

}  // namespace berth::image
