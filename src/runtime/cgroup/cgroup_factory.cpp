// make_cgroup_manager / load_cgroup_manager: the layout decides the manager, cgroupsPath the
// directories.
#include "common/fs.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/cgroup/cgroup_hybrid.hpp"
#include "runtime/cgroup/cgroup_v1.hpp"
#include "runtime/cgroup/cgroup_v2.hpp"

namespace berth::runtime {

using nlohmann::json;

namespace {

std::string under(const std::string& self, const CgroupPath& p) {
  if (!p.relative) return p.path;
  return self == "/" ? p.path : self + p.path;
}

std::string join_mount(const std::string& mountpoint, const std::string& path) {
  return path == "/" ? mountpoint : mountpoint + path;
}

CgroupV1 make_v1(const CgroupRoots& roots, const CgroupPath& p) {
  std::map<std::string, std::string> dirs;
  std::string memory_path, any_path;
  for (auto& h : roots.v1) {
    std::string full = under(h.self, p);
    std::string dir = join_mount(h.mountpoint, full);
    for (auto& c : h.controllers) {
      dirs[c] = dir;
      if (c == "memory") memory_path = full;
    }
    if (any_path.empty()) any_path = full;
  }
  return CgroupV1(memory_path.empty() ? any_path : memory_path, std::move(dirs));
}

Result<std::string> str(const json& j, const char* k) {
  if (!j.is_object() || !j.contains(k) || !j.at(k).is_string())
    return fail(ErrorKind::Invalid, std::string("saved cgroup state: missing string \"") + k + "\"");
  return j.at(k).get<std::string>();
}

// Saved parents must lie above the cgroup's own directories (a tampered state file cannot point
// destroy() elsewhere; rmdir only ever removes empty directories anyway).
Result<std::vector<std::string>> load_parents(const json& j, const std::vector<std::string>& leaves) {
  std::vector<std::string> out;
  if (!j.contains("parents")) return out;
  if (!j.at("parents").is_array()) return fail(ErrorKind::Invalid, "saved cgroup state: parents is not an array");
  for (auto& p : j.at("parents")) {
    if (!p.is_string() || p.get<std::string>().find("/..") != std::string::npos ||
        cg::ancestors_of({p.get<std::string>()}, leaves).empty())
      return fail(ErrorKind::Invalid, "saved cgroup state: parent " + p.dump() + " is not above the cgroup");
    out.push_back(p.get<std::string>());
  }
  return out;
}

// destroy() removes the cgroup and everything below it: a state that names a hierarchy root
// (or a directory other than the container's own) must never get that far.
std::string last_component(const std::string& p) { return p.substr(p.find_last_of('/') + 1); }

Result<CgroupV1> load_v1(const json& j) {
  auto path = BERTH_TRY(str(j, "path"), "");
  if (!path.starts_with("/") || last_component(path).empty() || path.find("/..") != std::string::npos)
    return fail(ErrorKind::Invalid, "saved cgroup state: path \"" + path + "\" does not name a cgroup below a root");
  if (!j.contains("dirs") || !j.at("dirs").is_object()) return fail(ErrorKind::Invalid, "saved cgroup state: missing \"dirs\"");
  std::map<std::string, std::string> dirs;
  for (auto& [c, d] : j.at("dirs").items()) {
    if (!d.is_string() || !d.get<std::string>().starts_with("/"))
      return fail(ErrorKind::Invalid, "saved cgroup state: dirs." + c + " is not an absolute path");
    if (d.get<std::string>().find("/..") != std::string::npos)
      return fail(ErrorKind::Invalid, "saved cgroup state: dirs." + c + " contains ..");
    if (last_component(d.get<std::string>()) != last_component(path))
      return fail(ErrorKind::Invalid, "saved cgroup state: dirs." + c + " is not the cgroup " + path);
    dirs[c] = d.get<std::string>();
  }
  std::vector<std::string> leaves;
  for (auto& [c, d] : dirs) leaves.push_back(d);
  auto parents = BERTH_TRY(load_parents(j, leaves), "");
  CgroupV1 m(path, std::move(dirs));
  m.set_parents(std::move(parents));
  return m;
}

Result<CgroupV2> load_v2(const json& j) {
  auto root = BERTH_TRY(str(j, "root"), "");
  auto path = BERTH_TRY(str(j, "path"), "");
  if (!root.starts_with("/") || !path.starts_with("/") || path.find("/..") != std::string::npos)
    return fail(ErrorKind::Invalid, "saved cgroup state: root and path must be absolute");
  if (last_component(path).empty())
    return fail(ErrorKind::Invalid, "saved cgroup state: path \"" + path + "\" names the root cgroup");
  CgroupV2 m(root, path);
  m.set_parents(BERTH_TRY(load_parents(j, {m.dir()}), ""));
  return m;
}

}  // namespace

Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const CgroupRoots& roots, const std::string& cgroups_path,
                                                           const std::string& id, bool systemd) {
  auto p = BERTH_TRY(resolve_cgroups_path(cgroups_path, id, systemd), "");
  switch (roots.layout) {
    case CgroupLayout::V1: return std::make_unique<CgroupV1>(make_v1(roots, p));
    case CgroupLayout::V2:
      if (roots.unified.empty()) return fail(ErrorKind::Unavailable, "cgroup v2: no unified mount");
      return std::make_unique<CgroupV2>(roots.unified, under(roots.unified_self, p));
    case CgroupLayout::Hybrid:
      if (roots.unified.empty()) return std::make_unique<CgroupV1>(make_v1(roots, p));
      return std::make_unique<CgroupHybrid>(make_v1(roots, p), CgroupV2(roots.unified, under(roots.unified_self, p)));
  }
  return fail(ErrorKind::Internal, "unknown cgroup layout");
}

Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const std::string& cgroups_path, const std::string& id,
                                                           bool systemd) {
  auto roots = BERTH_TRY(probe_cgroup_roots(), "");
  return make_cgroup_manager(roots, cgroups_path, id, systemd);
}

Result<std::unique_ptr<CgroupManager>> load_cgroup_manager(const json& saved) {
  auto layout = BERTH_TRY(str(saved, "layout"), "");
  if (layout == "v1") return std::make_unique<CgroupV1>(BERTH_TRY(load_v1(saved), ""));
  if (layout == "v2") return std::make_unique<CgroupV2>(BERTH_TRY(load_v2(saved), ""));
  if (layout == "hybrid") {
    if (!saved.contains("v1") || !saved.contains("v2")) return fail(ErrorKind::Invalid, "saved cgroup state: hybrid needs v1 and v2");
    return std::make_unique<CgroupHybrid>(BERTH_TRY(load_v1(saved.at("v1")), ""), BERTH_TRY(load_v2(saved.at("v2")), ""));
  }
  return fail(ErrorKind::Invalid, "saved cgroup state: unknown layout \"" + layout + "\"");
}

}  // namespace berth::runtime
