// Child side of the root filesystem: mounts, pivot_root, masked and read-only paths.
#include "runtime/process/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "runtime/process/mount_api.hpp"
#include "runtime/process/mount_flags.hpp"
#include "runtime/process/path_in_root.hpp"

namespace berth::runtime {
namespace {

// A filesystem that refuses a new instance here (sysfs without owning the network namespace,
// mqueue without owning the ipc namespace) is bound from the host's instead.
Result<UniqueFd> fs_or_host_bind(const Mount& m, const MountFlags& f, const RootfsOptions& opt) {
  auto fs = new_fs_mount(m.type, m.source, f);
  if (fs) return fs;
  int e = fs.error().errnum;
  const char* host = nullptr;
  if (m.type == "sysfs" && (e == EPERM || e == EACCES) && (opt.new_userns || !opt.new_netns)) host = "/sys";
  if (m.type == "mqueue" && (e == EPERM || e == EACCES)) host = "/dev/mqueue";
  if (!host) return fs;
  auto tree = BERTH_TRY(clone_tree(host, true), "");
  BERTH_CHECK(set_mount_flags(tree.get(), f.set, 0, true), "");
  return tree;
}

Result<> do_mount(const Mount& m, size_t index, int root_fd, const std::string& root, const RootfsOptions& opt) {
  MountFlags f = parse_mount_options(m.options);
  bool bind = f.bind || m.type == "bind";
  std::string src = m.source;
  if (bind && !src.empty() && src[0] != '/') src = path_join(opt.bundle, src);

  bool src_is_dir = true;
  if (bind) {
    struct stat st;
    if (stat(src.c_str(), &st) != 0) return fail_sys("bind source " + src);
    src_is_dir = S_ISDIR(st.st_mode);
  }
  auto target = BERTH_TRY(make_in_root(root_fd, m.destination, src_is_dir ? NodeKind::Dir : NodeKind::File), "");
  BERTH_CHECK(check_inside(target.get(), root, "mount destination " + m.destination), "");

  if (m.type == "cgroup") return mount_cgroups(target.get(), f.set, opt);
  UniqueFd mnt;
  if (opt.idmapped && opt.idmapped->count(index)) {
    mnt = UniqueFd(dup(opt.idmapped->at(index).get()));
    BERTH_CHECK(set_mount_flags(mnt.get(), f.set, f.clear, f.recursive), "");
  } else if (bind) {
    mnt = BERTH_TRY(clone_tree(src, f.recursive), "");
    BERTH_CHECK(set_mount_flags(mnt.get(), f.set, f.clear, f.recursive), "");
  } else {
    mnt = BERTH_TRY(fs_or_host_bind(m, f, opt), "");
  }
  BERTH_CHECK(attach_mount(mnt.get(), target.get()), "");
  // The mount fd now names the attached mount itself, not what it covers.
  BERTH_CHECK(set_propagation(mnt.get(), f.propagation), "");
  return {};
}

unsigned long propagation_flag(const std::string& p) {
  if (p == "private") return MS_PRIVATE;
  if (p == "rprivate") return MS_PRIVATE | MS_REC;
  if (p == "slave") return MS_SLAVE;
  if (p == "rslave") return MS_SLAVE | MS_REC;
  if (p == "shared") return MS_SHARED;
  if (p == "rshared") return MS_SHARED | MS_REC;
  if (p == "unbindable") return MS_UNBINDABLE;
  if (p == "runbindable") return MS_UNBINDABLE | MS_REC;
  return MS_SLAVE | MS_REC;  // runc's default: host mounts propagate in, nothing leaks out
}

}  // namespace

Result<> rootfs_prepare(const Spec& spec, const RootfsOptions& opt) {
  const std::string& root = spec.root_path;
  unsigned long prop = propagation_flag(spec.linux.rootfs_propagation);
  // Make our copy of the host's mounts stop sending events back to the host.
  unsigned long own = (prop & (MS_SHARED | MS_UNBINDABLE)) ? (MS_SLAVE | MS_REC) : prop;
  if (mount(nullptr, "/", nullptr, own, nullptr) != 0) return fail_sys("set propagation of /");
  if (mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_sys("bind mount root " + root);
  // From here on everything is placed relative to this fd, never by a path re-resolved later.
  UniqueFd root_fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail_sys("open root " + root);
  for (size_t i = 0; i < spec.mounts.size(); ++i)
    BERTH_CHECK(do_mount(spec.mounts[i], i, root_fd.get(), root, opt), "mount " + spec.mounts[i].destination);
  BERTH_CHECK(setup_devices(spec, root_fd.get(), opt), "");
  return {};
}

Result<> rootfs_pivot(const std::string& root, bool no_pivot) {
  if (no_pivot) {
    if (chdir(root.c_str()) != 0) return fail_sys("chdir " + root);
    if (mount(root.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0) return fail_sys("move root to /");
    if (chroot(".") != 0) return fail_sys("chroot");
    if (chdir("/") != 0) return fail_sys("chdir /");
    return {};
  }
  UniqueFd oldroot(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!oldroot) return fail_sys("open /");
  UniqueFd newroot(open(root.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!newroot) return fail_sys("open " + root);
  if (fchdir(newroot.get()) != 0) return fail_sys("chdir " + root);
  // pivot_root(".", ".") stacks the old root under the new one; then detach it.
  if (syscall(SYS_pivot_root, ".", ".") != 0) return fail_sys("pivot_root " + root);
  if (fchdir(oldroot.get()) != 0) return fail_sys("chdir old root");
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) return fail_sys("make old root slave");
  if (umount2(".", MNT_DETACH) != 0) return fail_sys("unmount old root");
  if (chdir("/") != 0) return fail_sys("chdir /");
  return {};
}

Result<> apply_root_propagation(const Spec& spec) {
  if (spec.linux.rootfs_propagation.empty()) return {};
  if (mount(nullptr, "/", nullptr, propagation_flag(spec.linux.rootfs_propagation), nullptr) != 0)
    return fail_sys("set propagation of / to " + spec.linux.rootfs_propagation);
  return {};
}

Result<> apply_sysctls(const Spec& spec) {
  for (const auto& [key, value] : spec.linux.sysctl) {
    if (key.find("..") != std::string::npos || key.find('/') != std::string::npos)
      return fail(ErrorKind::Invalid, "sysctl " + key + ": invalid name");
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    if (auto r = write_file(path, value); !r) return fail(r.error().wrap("sysctl " + key));
  }
  return {};
}

// After pivot_root the root is "/": masked and read-only paths are opened inside it by fd.
Result<> rootfs_finish(const Spec& spec) {
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open /");
  for (const auto& p : spec.linux.masked_paths) {
    auto target = open_in_root(root.get(), p);
    if (!target && target.error().errnum == ENOENT) continue;
    if (!target) return fail(target.error().wrap("mask " + p));
    struct stat st;
    if (fstat(target->get(), &st) != 0) return fail_sys("mask " + p);
    MountFlags ro;
    ro.set = MS_RDONLY;
    auto cover = S_ISDIR(st.st_mode) ? new_fs_mount("tmpfs", "tmpfs", ro) : clone_tree("/dev/null", false);
    if (!cover) return fail(cover.error().wrap("mask " + p));
    BERTH_CHECK(attach_mount(cover->get(), target->get()), "mask " + p);
  }
  for (const auto& p : spec.linux.readonly_paths) {
    auto target = open_in_root(root.get(), p);
    if (!target && target.error().errnum == ENOENT) continue;
    if (!target) return fail(target.error().wrap("make " + p + " read-only"));
    auto tree = BERTH_TRY(clone_tree("", true, target->get()), "make " + p + " read-only");
    BERTH_CHECK(set_mount_flags(tree.get(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, true),
                "make " + p + " read-only");
    BERTH_CHECK(attach_mount(tree.get(), target->get()), "make " + p + " read-only");
  }
  if (spec.root_readonly) BERTH_CHECK(set_mount_flags(root.get(), MS_RDONLY, 0, false), "make root read-only");
  return {};
}

}  // namespace berth::runtime
