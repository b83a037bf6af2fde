// Child side of the root filesystem: mounts, devices, pivot_root, masked and read-only paths.
#include "runtime/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>

#include <cerrno>
#include <deque>
#include <fstream>
#include <sstream>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "runtime/idmap_mount.hpp"

namespace berth::runtime {
namespace {

std::unexpected<Error> mount_error(const std::string& what, const std::string& src, const std::string& dst) {
  return fail_sys("mount " + what + (src.empty() ? "" : " " + src) + " to " + dst);
}

// Flags a remount must keep: in a user namespace the kernel locks them and refuses to drop them.
unsigned long locked_flags(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

Result<> remount_bind(const std::string& dst, unsigned long flags) {
  if (mount(nullptr, dst.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr) == 0) return {};
  if (errno == EPERM) {
    unsigned long keep = locked_flags(dst) & ~MS_RDONLY;
    if (mount(nullptr, dst.c_str(), nullptr, MS_BIND | MS_REMOUNT | flags | keep, nullptr) == 0) return {};
  }
  return fail_sys("remount " + dst);
}

// Creates the mount point: a directory, or an empty file when the source is not a directory.
Result<> make_mountpoint(const std::string& dst, bool as_file) {
  struct stat st;
  if (lstat(dst.c_str(), &st) == 0) return {};
  auto slash = dst.find_last_of('/');
  BERTH_CHECK(mkdir_p(dst.substr(0, slash)), "");
  if (!as_file) return mkdir_p(dst);
  int fd = open(dst.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return fail_sys("create mount point " + dst);
  close(fd);
  return {};
}

struct HostHierarchy {
  std::string mountpoint;  // /sys/fs/cgroup/memory
  std::string fstype;      // cgroup or cgroup2
  std::string root;        // root of the mount in its hierarchy
  std::string super_opts;  // "rw,memory"
};

std::vector<HostHierarchy> host_cgroup_mounts() {
  std::vector<HostHierarchy> out;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ss(line);
    std::string id, parent, devno, root, mp, opts, tok;
    ss >> id >> parent >> devno >> root >> mp >> opts;
    while (ss >> tok && tok != "-") {}
    std::string fstype, src, super;
    ss >> fstype >> src >> super;
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back({mp, fstype, root, super});
  }
  return out;
}

// The calling process's cgroup in each hierarchy, keyed by controller list ("memory", "" for v2).
std::vector<std::pair<std::string, std::string>> own_cgroups() {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  while (std::getline(f, line)) {
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    out.emplace_back(line.substr(a + 1, b - a - 1), line.substr(b + 1));
  }
  return out;
}

bool super_has(const std::string& super, const std::string& ctrl) {
  std::istringstream ss(super);
  std::string o;
  while (std::getline(ss, o, ','))
    if (o == ctrl) return true;
  return false;
}

// /sys/fs/cgroup inside the container: on a pure v2 host a cgroup2 mount (scoped by the cgroup
// namespace); on v1 and hybrid hosts a tmpfs with the container's own cgroup of each hierarchy
// bound in, so the container sees its cgroup and nothing above it.
Result<> mount_cgroups(const Mount& m, const std::string& dst, const MountFlags& f, const RootfsOptions& opt) {
  unsigned long flags = f.set & ~MS_RDONLY;
  struct statfs sfs;
  bool unified = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
  if (unified) {
    if (opt.new_cgroupns) {
      if (mount("cgroup2", dst.c_str(), "cgroup2", flags | (f.set & MS_RDONLY), nullptr) != 0)
        return mount_error("cgroup2", "", dst);
      return {};
    }
    std::string own;
    for (auto& [c, p] : own_cgroups())
      if (c.empty()) own = p;
    std::string src = "/sys/fs/cgroup" + own;
    if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return mount_error("bind", src, dst);
    if (f.set & MS_RDONLY) BERTH_CHECK(remount_bind(dst, flags | MS_RDONLY), "");
    return {};
  }
  if (mount("tmpfs", dst.c_str(), "tmpfs", flags, "mode=755") != 0) return mount_error("tmpfs", "", dst);
  auto mine = own_cgroups();
  for (const auto& h : host_cgroup_mounts()) {
    if (h.mountpoint.rfind("/sys/fs/cgroup/", 0) != 0) continue;
    std::string name = h.mountpoint.substr(std::string("/sys/fs/cgroup/").size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    std::string src;
    for (const auto& d : opt.cgroup_dirs)
      if (d == h.mountpoint || d.rfind(h.mountpoint + "/", 0) == 0) src = d;
    if (src.empty()) {
      // A hierarchy the manager does not use (a named one): our own cgroup there.
      std::string own;
      for (auto& [ctrls, path] : mine) {
        if (h.fstype == "cgroup2" ? ctrls.empty() : (!ctrls.empty() && [&] {
              std::istringstream ss(ctrls);
              std::string c;
              while (std::getline(ss, c, ','))
                if (super_has(h.super_opts, c)) return true;
              return false;
            }()))
          own = path;
      }
      // Paths in /proc/self/cgroup are relative to the hierarchy root; the mount may start lower.
      std::string rel = own;
      if (h.root != "/" && rel.rfind(h.root, 0) == 0) rel = rel.substr(h.root.size());
      src = h.mountpoint + rel;
    }
    std::string target = dst + "/" + name;
    BERTH_CHECK(mkdir_p(target), "");
    if (mount(src.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return mount_error("bind", src, target);
    BERTH_CHECK(remount_bind(target, flags | (f.set & MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC), "");
  }
  if (f.set & MS_RDONLY)
    if (mount(nullptr, dst.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | flags, "mode=755") != 0)
      return fail_sys("remount " + dst + " read-only");
  (void)m;
  return {};
}

Result<> do_mount(const Mount& m, size_t index, const std::string& root, const RootfsOptions& opt) {
  MountFlags f = parse_mount_options(m.options);
  bool bind = f.bind || m.type == "bind";
  std::string dst = secure_join(root, m.destination);
  std::string src = m.source;
  if (bind && !src.empty() && src[0] != '/') src = path_join(opt.bundle, src);

  bool src_is_dir = true;
  if (bind) {
    struct stat st;
    if (stat(src.c_str(), &st) != 0) return fail_sys("mount " + m.destination + ": bind source " + src);
    src_is_dir = S_ISDIR(st.st_mode);
  }
  BERTH_CHECK(make_mountpoint(dst, !src_is_dir), "mount " + m.destination);

  if (m.type == "cgroup") return mount_cgroups(m, dst, f, opt);
  if (opt.idmapped && opt.idmapped->count(index)) {
    BERTH_CHECK(attach_mount_fd(opt.idmapped->at(index).get(), dst), "mount " + m.destination);
    if (f.set & ~MS_REMOUNT) BERTH_CHECK(remount_bind(dst, f.set & ~MS_REMOUNT), "mount " + m.destination);
  } else if (bind) {
    unsigned long rec = f.recursive ? MS_REC : 0;
    if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | rec, nullptr) != 0) return mount_error("bind", src, dst);
    if (f.set & ~(MS_REMOUNT))
      BERTH_CHECK(remount_bind(dst, (f.set & ~MS_REMOUNT) | rec), "mount " + m.destination);
  } else {
    const char* data = f.data.empty() ? nullptr : f.data.c_str();
    if (mount(m.source.c_str(), dst.c_str(), m.type.c_str(), f.set, data) != 0) {
      // sysfs needs the mounter to own the network namespace; without one, bind the host's.
      if (m.type == "sysfs" && (errno == EPERM || errno == EACCES) && (opt.new_userns || !opt.new_netns)) {
        if (mount("/sys", dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return mount_error("bind", "/sys", dst);
        BERTH_CHECK(remount_bind(dst, f.set | MS_REC), "");
      } else if (m.type == "mqueue" && (errno == EPERM || errno == EACCES)) {
        if (mount("/dev/mqueue", dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
          return mount_error("bind", "/dev/mqueue", dst);
      } else {
        return mount_error(m.type.empty() ? "" : m.type, m.source, dst);
      }
    }
  }
  if (f.propagation)
    if (mount(nullptr, dst.c_str(), nullptr, f.propagation, nullptr) != 0)
      return fail_sys("set propagation of " + m.destination);
  return {};
}

struct DefaultDev {
  const char* path;
  unsigned major, minor;
};
constexpr DefaultDev kDefaultDevs[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},   {"/dev/full", 1, 7},
                                       {"/dev/tty", 5, 0},    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}};

Result<> create_device(const std::string& root, const Device& d, bool bind_host) {
  std::string dst = secure_join(root, d.path);
  auto slash = dst.find_last_of('/');
  BERTH_CHECK(mkdir_p(dst.substr(0, slash)), "");
  if (bind_host) {
    BERTH_CHECK(make_mountpoint(dst, true), "");
    if (mount(d.path.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0) return mount_error("bind", d.path, dst);
    return {};
  }
  mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t mode = d.file_mode.value_or(0666) & 07777;
  unlink(dst.c_str());
  if (mknod(dst.c_str(), type | mode, makedev(d.major, d.minor)) != 0) return fail_sys("mknod " + d.path);
  if (chmod(dst.c_str(), mode) != 0) return fail_sys("chmod " + d.path);
  if (chown(dst.c_str(), d.uid.value_or(0), d.gid.value_or(0)) != 0) return fail_sys("chown " + d.path);
  return {};
}

Result<> setup_devices(const Spec& spec, const std::string& root, const RootfsOptions& opt) {
  bool dev_bound = false;
  for (const auto& m : spec.mounts)
    if (m.destination == "/dev" && (m.type == "bind" || parse_mount_options(m.options).bind)) dev_bound = true;
  if (!dev_bound) {
    for (const auto& dd : kDefaultDevs) {
      bool overridden = false;
      for (const auto& d : spec.linux.devices) overridden |= d.path == dd.path;
      if (overridden) continue;
      Device d{dd.path, 'c', dd.major, dd.minor, 0666, 0, 0};
      BERTH_CHECK(create_device(root, d, opt.new_userns), "create device " + d.path);
    }
  }
  for (const auto& d : spec.linux.devices) BERTH_CHECK(create_device(root, d, opt.new_userns), "create device " + d.path);
  if (dev_bound) return {};
  // The standard /dev links into /proc.
  const std::pair<const char*, const char*> links[] = {
      {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
      {"/proc/self/fd/2", "/dev/stderr"}};
  for (auto& [target, link] : links) {
    std::string p = secure_join(root, link);
    if (symlink(target, p.c_str()) != 0 && errno != EEXIST) return fail_sys("symlink " + std::string(link));
  }
  if (path_exists("/proc/kcore")) (void)!symlink("/proc/kcore", secure_join(root, "/dev/core").c_str());
  std::string pts = secure_join(root, "/dev/pts/ptmx");
  if (path_exists(pts)) {
    std::string ptmx = secure_join(root, "/dev/ptmx");
    unlink(ptmx.c_str());
    if (symlink("pts/ptmx", ptmx.c_str()) != 0) return fail_sys("symlink /dev/ptmx");
  }
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

std::string secure_join(const std::string& root, const std::string& unsafe) {
  std::deque<std::string> todo;
  auto push_front_path = [&](const std::string& p) {
    std::vector<std::string> parts;
    std::istringstream ss(p);
    std::string c;
    while (std::getline(ss, c, '/'))
      if (!c.empty() && c != ".") parts.push_back(c);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_front(*it);
  };
  push_front_path(unsafe);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string c = todo.front();
    todo.pop_front();
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string cur = root;
    for (auto& d : done) cur += "/" + d;
    cur += "/" + c;
    char buf[4096];
    ssize_t n = readlink(cur.c_str(), buf, sizeof buf - 1);
    if (n < 0 || ++links > 255) {
      done.push_back(c);
      continue;
    }
    std::string target(buf, static_cast<size_t>(n));
    if (!target.empty() && target[0] == '/') done.clear();
    push_front_path(target);
  }
  std::string out = root;
  for (auto& d : done) out += "/" + d;
  return out;
}

Result<> rootfs_prepare(const Spec& spec, const RootfsOptions& opt) {
  const std::string& root = spec.root_path;
  unsigned long prop = propagation_flag(spec.linux.rootfs_propagation);
  // Make our copy of the host's mounts stop sending events back to the host.
  if (mount(nullptr, "/", nullptr, (prop & MS_SHARED) ? (MS_SLAVE | MS_REC) : prop, nullptr) != 0)
    return fail_sys("set propagation of /");
  if (mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return fail_sys("bind mount root " + root);
  for (size_t i = 0; i < spec.mounts.size(); ++i) BERTH_CHECK(do_mount(spec.mounts[i], i, root, opt), "");
  BERTH_CHECK(setup_devices(spec, root, opt), "");
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
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    if (key.find("..") != std::string::npos) return fail(ErrorKind::Invalid, "sysctl " + key + ": invalid name");
    if (auto r = write_file(path, value); !r) return fail(r.error().wrap("sysctl " + key));
  }
  return {};
}

Result<> rootfs_finish(const Spec& spec) {
  for (const auto& p : spec.linux.masked_paths) {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0) return fail_sys("mask " + p);
    } else if (mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return fail_sys("mask " + p);
    }
  }
  for (const auto& p : spec.linux.readonly_paths) {
    if (!path_exists(p)) continue;
    if (mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return fail_sys("bind " + p);
    BERTH_CHECK(remount_bind(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_REC), "make " + p + " read-only");
  }
  if (spec.root_readonly) BERTH_CHECK(remount_bind("/", MS_RDONLY), "make root read-only");
  return {};
}

}  // namespace berth::runtime
