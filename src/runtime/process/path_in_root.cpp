#include "runtime/process/path_in_root.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <vector>

namespace berth::runtime {
namespace {

int openat2_fd(int dirfd, const std::string& path, int flags, unsigned long long resolve) {
  open_how how{};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = resolve;
  for (;;) {
    int fd = static_cast<int>(syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    // EAGAIN: a rename raced the lookup; the kernel asks us to try again.
    if (fd < 0 && errno == EAGAIN) continue;
    return fd;
  }
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i);
    if (!c.empty() && c != ".") out.push_back(std::move(c));
    i = j + 1;
  }
  return out;
}

}  // namespace

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags) {
  std::string rel = path.empty() ? "." : path;
  int fd = openat2_fd(root_fd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) return fail_sys("open " + path + " inside the container root");
  return UniqueFd(fd);
}

Result<UniqueFd> make_in_root(int root_fd, const std::string& path, NodeKind kind) {
  if (auto fd = open_in_root(root_fd, path); fd || fd.error().errnum != ENOENT) return fd;
  auto parts = components(path);
  UniqueFd cur(openat2_fd(root_fd, ".", O_PATH | O_DIRECTORY, 0));
  if (!cur) return fail_sys("open container root");
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& c = parts[i];
    std::string next_path = prefix + "/" + c;
    // Resolve each prefix from the root, so symlinks keep their in-container meaning.
    int fd = openat2_fd(root_fd, next_path, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno != ENOENT) return fail_sys("open " + next_path + " inside the container root");
    if (fd < 0) {
      bool last = i + 1 == parts.size();
      if (last && kind == NodeKind::File) {
        int nf = openat(cur.get(), c.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (nf < 0 && errno != EEXIST) return fail_sys("create " + next_path);
        if (nf >= 0) close(nf);
      } else if (mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST) {
        return fail_sys("create directory " + next_path);
      }
      // Only what we just made (or a racer's plain entry): never a symlink at this point.
      fd = openat2_fd(cur.get(), c, O_PATH, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
      if (fd < 0) {
        if (errno == ELOOP) return fail(make_error(ErrorKind::Invalid, next_path + " is a dangling symlink inside the container root"));
        return fail_sys("open " + next_path + " inside the container root");
      }
    }
    cur = UniqueFd(fd);
    prefix = next_path;
  }
  return cur;
}

std::string fd_path(int fd) {
  char buf[4096];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || n == static_cast<ssize_t>(sizeof buf)) return {};
  return std::string(buf, static_cast<size_t>(n));
}

Result<> check_inside(int fd, const std::string& root, const std::string& what) {
  std::string p = fd_path(fd);
  std::string r = root == "/" ? "" : root;
  if (p == root || (p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/')) return {};
  return fail(ErrorKind::Invalid, what + " resolved to " + p + ", outside the container root " + root);
}

}  // namespace berth::runtime
