#include "runtime/process/mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <utility>
#include <vector>

namespace berth::runtime {
namespace {

constexpr std::pair<unsigned long, unsigned long long> kAttrs[] = {
    {MS_RDONLY, MOUNT_ATTR_RDONLY},     {MS_NOSUID, MOUNT_ATTR_NOSUID},
    {MS_NODEV, MOUNT_ATTR_NODEV},       {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
};

// The atime mode is one field of the attributes, not a bit each.
std::pair<bool, unsigned long long> atime_attr(unsigned long ms) {
  if (ms & MS_NOATIME) return {true, MOUNT_ATTR_NOATIME};
  if (ms & MS_STRICTATIME) return {true, MOUNT_ATTR_STRICTATIME};
  if (ms & MS_RELATIME) return {true, MOUNT_ATTR_RELATIME};
  return {false, 0};
}

unsigned long long to_attrs(unsigned long ms) {
  unsigned long long a = 0;
  for (auto [m, attr] : kAttrs)
    if (ms & m) a |= attr;
  return a | atime_attr(ms).second;
}

// What the filesystem's own context log says about a failed fsconfig (fsopen fds are readable).
std::string fs_log(int fsfd) {
  std::string out;
  char buf[512];
  for (;;) {
    ssize_t n = read(fsfd, buf, sizeof buf - 1);
    if (n <= 0) break;
    if (!out.empty()) out += "; ";
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

Result<UniqueFd> clone_tree(const std::string& path, bool recursive, int fd) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  int dirfd = AT_FDCWD;
  const char* p = path.c_str();
  if (path.empty()) {
    dirfd = fd;
    p = "";
    flags |= AT_EMPTY_PATH;
  }
  int t = open_tree(dirfd, p, flags);
  if (t < 0) return fail_sys("bind " + (path.empty() ? std::string("mount") : path));
  return UniqueFd(t);
}

Result<UniqueFd> new_fs_mount(const std::string& type, const std::string& source, const MountFlags& f) {
  UniqueFd fs(fsopen(type.c_str(), FSOPEN_CLOEXEC));
  if (!fs) return fail_sys("open filesystem " + type);
  auto config_fail = [&](const std::string& what) {
    int e = errno;
    std::string log = fs_log(fs.get());
    return fail(sys_error("mount " + type + ": " + what + (log.empty() ? "" : " (" + log + ")"), e));
  };
  if (!source.empty() && fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) != 0)
    return config_fail("source " + source);
  // Superblock flags are filesystem parameters in this API.
  const std::pair<unsigned long, const char*> sb[] = {{MS_RDONLY, "ro"},       {MS_SYNCHRONOUS, "sync"},
                                                      {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"},
                                                      {MS_MANDLOCK, "mand"}};
  for (auto [m, name] : sb)
    if ((f.set & m) && fsconfig(fs.get(), FSCONFIG_SET_FLAG, name, nullptr, 0) != 0) return config_fail(name);
  size_t i = 0;
  while (i < f.data.size()) {
    size_t j = f.data.find(',', i);
    if (j == std::string::npos) j = f.data.size();
    std::string opt = f.data.substr(i, j - i);
    i = j + 1;
    if (opt.empty()) continue;
    auto eq = opt.find('=');
    int rc = eq == std::string::npos
                 ? fsconfig(fs.get(), FSCONFIG_SET_FLAG, opt.c_str(), nullptr, 0)
                 : fsconfig(fs.get(), FSCONFIG_SET_STRING, opt.substr(0, eq).c_str(), opt.substr(eq + 1).c_str(), 0);
    if (rc != 0) return config_fail("option " + opt);
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return config_fail("create");
  int m = fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(to_attrs(f.set)));
  if (m < 0) return fail_sys("mount " + type);
  return UniqueFd(m);
}

Result<> set_mount_flags(int mnt_fd, unsigned long set, unsigned long clear, bool recursive) {
  mount_attr a{};
  a.attr_set = to_attrs(set);
  a.attr_clr = to_attrs(clear) & ~static_cast<unsigned long long>(MOUNT_ATTR__ATIME);
  if (atime_attr(set).first || atime_attr(clear).first) a.attr_clr |= MOUNT_ATTR__ATIME;
  if (!a.attr_set && !a.attr_clr) return {};
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (mount_setattr(mnt_fd, "", flags, &a, sizeof a) == 0) return {};
  if (errno == EPERM && a.attr_clr) {
    // Locked by a user namespace: keep what the host set, still add ours.
    a.attr_clr = atime_attr(set).first ? MOUNT_ATTR__ATIME : 0;
    if (mount_setattr(mnt_fd, "", flags, &a, sizeof a) == 0) return {};
  }
  return fail_sys("set mount flags");
}

Result<> set_propagation(int mnt_fd, unsigned long propagation) {
  unsigned long kind = propagation & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE);
  if (!kind) return {};
  mount_attr a{};
  a.propagation = kind;
  unsigned flags = AT_EMPTY_PATH | ((propagation & MS_REC) ? AT_RECURSIVE : 0);
  if (mount_setattr(mnt_fd, "", flags, &a, sizeof a) != 0) return fail_sys("set mount propagation");
  return {};
}

Result<> attach_mount(int mnt_fd, int target_fd) {
  if (move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return fail_sys("attach mount");
  return {};
}

}  // namespace berth::runtime
