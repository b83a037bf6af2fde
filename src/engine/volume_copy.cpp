#include "engine/volume_copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <memory>

#include "common/fd.hpp"
#include "engine/path_in_root.hpp"

namespace berth::engine {

namespace {

bool dir_empty(int dirfd) {
  int fd = dup(dirfd);
  if (fd < 0) return false;
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return false;
  }
  bool empty = true;
  while (auto* e = readdir(d))
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..") {
      empty = false;
      break;
    }
  closedir(d);
  return empty;
}

Result<> copy_attrs(int fd, const struct stat& st) {
  if (fchown(fd, st.st_uid, st.st_gid) != 0) return fail_sys("chown");
  if (fchmod(fd, st.st_mode & 07777) != 0) return fail_sys("chmod");
  timespec times[2] = {st.st_atim, st.st_mtim};
  if (futimens(fd, times) != 0) return fail_sys("set times");
  return {};
}

Result<> copy_file(int src, int dst) {
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read");
    if (n == 0) return {};
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(dst, buf + off, n - off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail_sys("write");
      off += w;
    }
  }
}

// Copies the entries of src_dir into dst_dir; names never contain '/', entries are opened
// O_NOFOLLOW relative to their parent's fd.
Result<> copy_tree(int src_dir, int dst_dir, int depth) {
  if (depth > 256) return fail(ErrorKind::Invalid, "directory tree too deep");
  int fd = dup(src_dir);
  if (fd < 0) return fail_sys("dup");
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return fail_sys("opendir");
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, closedir);
  rewinddir(d);
  while (auto* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("stat " + name);
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dst_dir, name.c_str(), 0700) != 0 && errno != EEXIST) return fail_sys("mkdir " + name);
      UniqueFd s(openat(src_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd t(openat(dst_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s || !t) return fail_sys("open " + name);
      BERTH_CHECK(copy_tree(s.get(), t.get(), depth + 1), name);
      BERTH_CHECK(copy_attrs(t.get(), st), name);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd s(openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd t(openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!s || !t) return fail_sys("open " + name);
      BERTH_CHECK(copy_file(s.get(), t.get()), name);
      BERTH_CHECK(copy_attrs(t.get(), st), name);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(st.st_size + 1, '\0');
      ssize_t n = readlinkat(src_dir, name.c_str(), target.data(), target.size());
      if (n < 0) return fail_sys("readlink " + name);
      target.resize(n);
      // The link is copied as text: it is resolved later inside the container, never here.
      if (symlinkat(target.c_str(), dst_dir, name.c_str()) != 0) return fail_sys("symlink " + name);
      if (fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("chown " + name);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
      if (mknodat(dst_dir, name.c_str(), st.st_mode, st.st_rdev) != 0) return fail_sys("mknod " + name);
      if (fchownat(dst_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("chown " + name);
      if (fchmodat(dst_dir, name.c_str(), st.st_mode & 07777, 0) != 0) return fail_sys("chmod " + name);
    }
  }
  return {};
}

}  // namespace

Result<> copy_up(const std::string& rootfs, const std::string& dest, const std::string& volume_dir) {
  UniqueFd root(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open " + rootfs);
  auto src = open_in_root(root.get(), dest, O_RDONLY | O_DIRECTORY);
  if (!src) {
    int e = src.error().errnum;
    if (e == ENOENT || e == ENOTDIR) return {};  // nothing in the image there
    return fail(src.error().wrap("copy " + dest + " into the volume"));
  }
  UniqueFd dst(open(volume_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dst) return fail_sys("open " + volume_dir);
  if (!dir_empty(dst.get())) return {};
  struct stat st;
  if (fstat(src->get(), &st) != 0) return fail_sys("stat " + dest);
  BERTH_CHECK(copy_tree(src->get(), dst.get(), 0), "copy " + dest + " into the volume");
  BERTH_CHECK(copy_attrs(dst.get(), st), "copy " + dest + " into the volume");
  return {};
}

}  // namespace berth::engine
