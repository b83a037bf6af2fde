// Device nodes in the container's /dev: made with mknodat below an fd inside the root, or (in a
// new user namespace, where mknod is refused) the host's node bound onto an fd.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "runtime/process/mount_api.hpp"
#include "runtime/process/mount_flags.hpp"
#include "runtime/process/path_in_root.hpp"
#include "runtime/process/rootfs.hpp"

namespace berth::runtime {
namespace {

struct DefaultDev {
  const char* path;
  unsigned major, minor;
};
constexpr DefaultDev kDefaultDevs[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},   {"/dev/full", 1, 7},
                                       {"/dev/tty", 5, 0},    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}};

std::pair<std::string, std::string> split_parent(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return {"/", path};
  return {path.substr(0, slash).empty() ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

Result<> create_device(int root_fd, const Device& d, bool bind_host) {
  if (bind_host) {
    auto target = BERTH_TRY(make_in_root(root_fd, d.path, NodeKind::File), "");
    auto tree = BERTH_TRY(clone_tree(d.path, false), "");
    return attach_mount(tree.get(), target.get());
  }
  auto [dir, name] = split_parent(d.path);
  if (name.empty() || name == "." || name == "..") return fail(ErrorKind::Invalid, "device path " + d.path);
  auto parent = BERTH_TRY(make_in_root(root_fd, dir, NodeKind::Dir), "");
  mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t mode = d.file_mode.value_or(0666) & 07777;
  if (unlinkat(parent.get(), name.c_str(), 0) != 0 && errno != ENOENT) return fail_sys("remove old " + d.path);
  // The umask must not narrow the configured mode; this process is ours alone.
  mode_t old = umask(0);
  int rc = mknodat(parent.get(), name.c_str(), type | mode, makedev(d.major, d.minor));
  umask(old);
  if (rc != 0) return fail_sys("mknod " + d.path);
  if (fchownat(parent.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) != 0)
    return fail_sys("chown " + d.path);
  return {};
}

}  // namespace

Result<> setup_devices(const Spec& spec, int root_fd, const RootfsOptions& opt) {
  bool dev_bound = false;
  for (const auto& m : spec.mounts)
    if (m.destination == "/dev" && (m.type == "bind" || parse_mount_options(m.options).bind)) dev_bound = true;
  if (!dev_bound) {
    for (const auto& dd : kDefaultDevs) {
      bool overridden = false;
      for (const auto& d : spec.linux.devices) overridden |= d.path == dd.path;
      if (overridden) continue;
      Device d{dd.path, 'c', dd.major, dd.minor, 0666, 0, 0};
      BERTH_CHECK(create_device(root_fd, d, opt.new_userns), "create device " + d.path);
    }
  }
  for (const auto& d : spec.linux.devices)
    BERTH_CHECK(create_device(root_fd, d, opt.new_userns), "create device " + d.path);
  if (dev_bound) return {};
  auto dev = BERTH_TRY(make_in_root(root_fd, "/dev", NodeKind::Dir), "");
  // The standard /dev links into /proc.
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (auto& [target, link] : links)
    if (symlinkat(target, dev.get(), link) != 0 && errno != EEXIST) return fail_sys("symlink /dev/" + std::string(link));
  if (path_exists("/proc/kcore")) (void)symlinkat("/proc/kcore", dev.get(), "core");
  struct stat st;
  if (fstatat(dev.get(), "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (unlinkat(dev.get(), "ptmx", 0) != 0 && errno != ENOENT) return fail_sys("remove /dev/ptmx");
    if (symlinkat("pts/ptmx", dev.get(), "ptmx") != 0) return fail_sys("symlink /dev/ptmx");
  }
  return {};
}

}  // namespace berth::runtime
