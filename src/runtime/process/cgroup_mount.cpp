// /sys/fs/cgroup inside the container: on a pure v2 host a cgroup2 mount (scoped by the cgroup
// namespace); on v1 and hybrid hosts a tmpfs with the container's own cgroup of each hierarchy
// bound in, so the container sees its cgroup and nothing above it.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <fstream>
#include <sstream>

#include "runtime/process/mount_api.hpp"
#include "runtime/process/rootfs.hpp"

namespace berth::runtime {
namespace {

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

bool shares_controller(const std::string& super, const std::string& ctrls) {
  std::istringstream a(ctrls);
  std::string c;
  while (std::getline(a, c, ',')) {
    std::istringstream b(super);
    std::string o;
    while (std::getline(b, o, ','))
      if (o == c) return true;
  }
  return false;
}

// A hierarchy the manager does not use (a named one): our own cgroup there.
std::string own_dir_in(const HostHierarchy& h) {
  std::string own;
  for (auto& [ctrls, path] : own_cgroups())
    if (h.fstype == "cgroup2" ? ctrls.empty() : (!ctrls.empty() && shares_controller(h.super_opts, ctrls))) own = path;
  // Paths in /proc/self/cgroup are relative to the hierarchy root; the mount may start lower.
  if (h.root != "/" && own.rfind(h.root, 0) == 0) own = own.substr(h.root.size());
  return h.mountpoint + own;
}

Result<> bind_dir(const std::string& src, int target_fd, unsigned long flags) {
  auto tree = BERTH_TRY(clone_tree(src, true), "");
  BERTH_CHECK(set_mount_flags(tree.get(), flags, 0, true), "bind " + src);
  return attach_mount(tree.get(), target_fd);
}

}  // namespace

Result<> mount_cgroups(int target_fd, unsigned long set, const RootfsOptions& opt) {
  unsigned long ro = set & MS_RDONLY;
  struct statfs sfs;
  bool unified = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
  if (unified) {
    if (opt.new_cgroupns) {
      MountFlags f;
      f.set = set;
      auto m = BERTH_TRY(new_fs_mount("cgroup2", "cgroup2", f), "");
      return attach_mount(m.get(), target_fd);
    }
    std::string own;
    for (auto& [c, p] : own_cgroups())
      if (c.empty()) own = p;
    return bind_dir("/sys/fs/cgroup" + own, target_fd, set);
  }
  MountFlags tf;
  tf.set = set & ~MS_RDONLY;  // read-only once the hierarchies are bound in
  tf.data = "mode=755";
  auto tmpfs = BERTH_TRY(new_fs_mount("tmpfs", "tmpfs", tf), "");
  BERTH_CHECK(attach_mount(tmpfs.get(), target_fd), "");
  for (const auto& h : host_cgroup_mounts()) {
    if (h.mountpoint.rfind("/sys/fs/cgroup/", 0) != 0) continue;
    std::string name = h.mountpoint.substr(std::string("/sys/fs/cgroup/").size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    std::string src;
    for (const auto& d : opt.cgroup_dirs)
      if (d == h.mountpoint || d.rfind(h.mountpoint + "/", 0) == 0) src = d;
    if (src.empty()) src = own_dir_in(h);
    // Our own fresh tmpfs: nothing else can reach it yet.
    if (mkdirat(tmpfs.get(), name.c_str(), 0755) != 0 && errno != EEXIST) return fail_sys("mkdir /sys/fs/cgroup/" + name);
    UniqueFd sub(openat(tmpfs.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return fail_sys("open /sys/fs/cgroup/" + name);
    BERTH_CHECK(bind_dir(src, sub.get(), set | ro | MS_NOSUID | MS_NODEV | MS_NOEXEC), "");
  }
  if (ro) BERTH_CHECK(set_mount_flags(tmpfs.get(), MS_RDONLY, 0, false), "make /sys/fs/cgroup read-only");
  return {};
}

}  // namespace berth::runtime
