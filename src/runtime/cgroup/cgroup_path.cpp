// cgroupsPath: absolute, relative, or systemd "slice:prefix:name" mapped onto cgroupfs.
#include <sstream>
#include <vector>

#include "runtime/cgroup/cgroup.hpp"

namespace berth::runtime {

namespace {

Error bad_cgroups_path(const std::string& what) {
  return make_error(ErrorKind::Invalid, "linux.cgroupsPath: " + what);
}

// Splits on '/', refusing "." and ".." so a path can never leave the hierarchy root.
Result<std::string> normalise(const std::string& p) {
  std::string out;
  std::istringstream in(p);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty()) continue;
    if (part == "." || part == "..") return fail(bad_cgroups_path("\"" + p + "\": \".\" and \"..\" are not allowed"));
    for (char c : part)
      if (c == '\n' || c == '\0') return fail(bad_cgroups_path("\"" + p + "\": control character in path"));
    out += "/" + part;
  }
  return out.empty() ? std::string("/") : out;
}

// "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root.
Result<std::string> expand_slice(const std::string& slice) {
  if (!slice.ends_with(".slice")) return fail(bad_cgroups_path("slice \"" + slice + "\" must end in .slice"));
  if (slice.find('/') != std::string::npos) return fail(bad_cgroups_path("slice \"" + slice + "\" contains '/'"));
  if (slice == "-.slice") return std::string();
  std::string name = slice.substr(0, slice.size() - 6);
  if (name.empty() || name.front() == '-' || name.back() == '-' || name.find("--") != std::string::npos)
    return fail(bad_cgroups_path("slice \"" + slice + "\" is not a valid slice name"));
  std::string out, prefix;
  std::istringstream in(name);
  std::string comp;
  while (std::getline(in, comp, '-')) {
    prefix += (prefix.empty() ? "" : "-") + comp;
    out += "/" + prefix + ".slice";
  }
  return out;
}

}  // namespace

Result<CgroupPath> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id, bool systemd) {
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..")
    return fail(ErrorKind::Invalid, "container id \"" + id + "\" cannot name a cgroup");
  if (systemd) {
    std::string slice = "system.slice", prefix = "berth", name = id;
    if (!cgroups_path.empty()) {
      auto c1 = cgroups_path.find(':');
      auto c2 = c1 == std::string::npos ? c1 : cgroups_path.find(':', c1 + 1);
      if (c2 == std::string::npos || cgroups_path.find(':', c2 + 1) != std::string::npos)
        return fail(bad_cgroups_path("\"" + cgroups_path + "\": expected slice:prefix:name with the systemd cgroup driver"));
      slice = cgroups_path.substr(0, c1);
      prefix = cgroups_path.substr(c1 + 1, c2 - c1 - 1);
      name = cgroups_path.substr(c2 + 1);
      if (slice.empty()) slice = "system.slice";
      if (name.empty()) return fail(bad_cgroups_path("\"" + cgroups_path + "\": empty name"));
    }
    if (prefix.find('/') != std::string::npos || name.find('/') != std::string::npos)
      return fail(bad_cgroups_path("\"" + cgroups_path + "\": prefix and name may not contain '/'"));
    std::string base = BERTH_TRY(expand_slice(slice), "");
    // A name that is itself a slice makes the container's cgroup that slice.
    std::string leaf;
    if (name.ends_with(".slice")) {
      auto sub = BERTH_TRY(expand_slice(name), "");
      leaf = sub.substr(sub.find_last_of('/'));
    } else {
      leaf = "/" + (prefix.empty() ? name : prefix + "-" + name) + ".scope";
    }
    auto p = BERTH_TRY(normalise(base + leaf), "");
    return CgroupPath{p, false};
  }
  if (cgroups_path.empty()) return CgroupPath{"/" + id, false};
  if (cgroups_path.find(':') != std::string::npos && cgroups_path.front() != '/')
    return fail(bad_cgroups_path("\"" + cgroups_path + "\" looks like a systemd path (slice:prefix:name) but the systemd cgroup driver is not in use"));
  auto p = BERTH_TRY(normalise(cgroups_path), "");
  if (p == "/") return fail(bad_cgroups_path("\"" + cgroups_path + "\" names the root cgroup"));
  return CgroupPath{p, cgroups_path.front() != '/'};
}

}  // namespace berth::runtime
