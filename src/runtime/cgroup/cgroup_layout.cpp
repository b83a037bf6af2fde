// Which cgroup layout the host has, and where its hierarchies are mounted.
#include <linux/magic.h>
#include <sys/statfs.h>

#include <cctype>
#include <sstream>

#include "common/fs.hpp"
#include "runtime/cgroup/cgroup.hpp"

namespace berth::runtime {

const char* cgroup_layout_name(CgroupLayout l) {
  switch (l) {
    case CgroupLayout::V1: return "v1";
    case CgroupLayout::V2: return "v2";
    case CgroupLayout::Hybrid: return "hybrid";
  }
  return "?";
}

static bool fs_magic_is(const char* path, long magic) {
  struct statfs st{};
  return ::statfs(path, &st) == 0 && static_cast<long>(st.f_type) == magic;
}

CgroupLayout detect_cgroup_layout() {
  if (fs_magic_is("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) return CgroupLayout::V2;
  // v1 controllers on a tmpfs; systemd's hybrid mode adds a cgroup2 mount beside them.
  if (fs_magic_is("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC)) return CgroupLayout::Hybrid;
  return CgroupLayout::V1;
}

namespace {

// mountinfo escapes space, tab, newline and backslash as octal.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct MountEntry {
  std::string root, mountpoint, fstype;
  std::vector<std::string> super_opts;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

std::vector<MountEntry> cgroup_mounts(const std::string& mountinfo) {
  std::vector<MountEntry> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream a(line.substr(0, dash)), b(line.substr(dash + 3));
    std::string id, parent, devno, root, mp, fstype, source, opts;
    a >> id >> parent >> devno >> root >> mp;
    b >> fstype >> source >> opts;
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    out.push_back({unescape(root), unescape(mp), fstype, split(opts, ',')});
  }
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  for (auto& e : v)
    if (e == x) return true;
  return false;
}

}  // namespace

Result<CgroupRoots> probe_cgroup_roots() {
  auto mountinfo = BERTH_TRY(berth::read_file("/proc/self/mountinfo"), "cgroup probe");
  auto self = BERTH_TRY(berth::read_file("/proc/self/cgroup"), "cgroup probe");
  return parse_cgroup_roots(mountinfo, self, detect_cgroup_layout());
}

Result<CgroupRoots> parse_cgroup_roots(const std::string& mountinfo, const std::string& self, CgroupLayout layout) {
  auto mounts = cgroup_mounts(mountinfo);
  CgroupRoots roots;
  roots.layout = layout;

  std::istringstream in(self);
  std::string line;
  while (std::getline(in, line)) {
    // "4:memory:/a/b", "1:name=systemd:/", "0::/"
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string ctrl = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path = line.substr(c2 + 1);
    if (ctrl.empty()) {
      for (auto& m : mounts) {
        if (m.fstype != "cgroup2") continue;
        // On v2 only /sys/fs/cgroup counts; in hybrid mode the unified mount.
        if (roots.layout == CgroupLayout::V2 ? m.mountpoint != "/sys/fs/cgroup" : roots.unified.size()) continue;
        roots.unified = m.mountpoint;
        roots.unified_self = path;
        if (m.root != "/" && path.starts_with(m.root)) roots.unified_self = path.substr(m.root.size());
        if (roots.unified_self.empty()) roots.unified_self = "/";
      }
      continue;
    }
    if (roots.layout == CgroupLayout::V2) continue;
    CgroupHierarchy h;
    h.controllers = split(ctrl, ',');
    for (auto& m : mounts) {
      if (m.fstype != "cgroup") continue;
      bool all = true;
      for (auto& c : h.controllers) all = all && contains(m.super_opts, c);
      if (!all) continue;
      h.mountpoint = m.mountpoint;
      h.root = m.root;
      if (m.root == "/") break;  // prefer the mount of the whole hierarchy over bind mounts
    }
    if (h.mountpoint.empty()) continue;  // hierarchy not mounted here
    h.self = path;
    if (h.root != "/" && path.starts_with(h.root)) h.self = path.substr(h.root.size());
    if (h.self.empty()) h.self = "/";
    roots.v1.push_back(std::move(h));
  }
  if (roots.layout == CgroupLayout::V2 && roots.unified.empty())
    return fail(ErrorKind::Unavailable, "cgroup probe: /sys/fs/cgroup is cgroup2 but not in /proc/self/mountinfo");
  if (roots.layout != CgroupLayout::V2 && roots.v1.empty())
    return fail(ErrorKind::Unavailable, "cgroup probe: no cgroup v1 hierarchy mounted");
  return roots;
}

}  // namespace berth::runtime
