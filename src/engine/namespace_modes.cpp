#include "engine/namespace_modes.hpp"

#include <algorithm>
#include <optional>

#include "common/json_util.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

void drop_namespace(json& spec, const std::string& type) {
  json kept = json::array();
  for (auto& ns : spec["linux"]["namespaces"])
    if (ns.value("type", "") != type) kept.push_back(ns);
  spec["linux"]["namespaces"] = kept;
}

void join_namespace(json& spec, const std::string& type, const std::string& path) {
  drop_namespace(spec, type);
  spec["linux"]["namespaces"].push_back({{"type", type}, {"path", path}});
}

void set_shm(json& spec, std::optional<json> mount) {
  json kept = json::array();
  for (auto& m : spec["mounts"]) {
    if (m.value("destination", "") != "/dev/shm") kept.push_back(m);
    else if (mount) kept.push_back(*mount), mount.reset();
  }
  if (mount) kept.push_back(*mount);
  spec["mounts"] = kept;
}

json bind_mount(const std::string& dest, const std::string& src) {
  return {{"destination", dest}, {"type", "bind"}, {"source", src}, {"options", {"rbind", "rprivate"}}};
}

Result<NamespaceDonor> running_donor(const DonorLookup& lookup, const std::string& ref, const char* what) {
  Result<NamespaceDonor> d = lookup(ref);
  if (d && d->pid <= 0)
    return fail(ErrorKind::Conflict, std::string("cannot join ") + what + " of a non running container: " + ref);
  return d;
}

// Sysctls the container's own namespaces isolate (runc's list); net.* needs its own netns.
bool ipc_sysctl(const std::string& k) {
  static const char* names[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  return std::find(std::begin(names), std::end(names), k) != std::end(names) || starts_with(k, "fs.mqueue.");
}

}  // namespace

Result<> validate_namespace_modes(const json& hc, const json& config) {
  auto ipc = json_string(hc, "IpcMode");
  if (!(ipc.empty() || ipc == "private" || ipc == "shareable" || ipc == "none" || ipc == "host" ||
        (starts_with(ipc, "container:") && ipc.size() > 10)))
    return fail(ErrorKind::Invalid, "invalid IPC mode: " + ipc);
  auto pid = json_string(hc, "PidMode");
  if (!(pid.empty() || pid == "host" || (starts_with(pid, "container:") && pid.size() > 10)))
    return fail(ErrorKind::Invalid, "invalid PID mode: " + pid);
  auto uts = json_string(hc, "UTSMode");
  if (!(uts.empty() || uts == "host")) return fail(ErrorKind::Invalid, "invalid UTS mode: " + uts);
  if (uts == "host" && config.is_object() && config.value("Hostname", json("")).is_string() &&
      !config.value("Hostname", std::string()).empty())
    return fail(ErrorKind::Invalid, "Conflicting options: hostname and the UTS mode");
  auto userns = json_string(hc, "UsernsMode");
  if (!(userns.empty() || userns == "host")) return fail(ErrorKind::Invalid, "invalid user namespace mode: " + userns);
  auto cgns = json_string(hc, "CgroupnsMode");
  if (!(cgns.empty() || cgns == "private" || cgns == "host"))
    return fail(ErrorKind::Invalid, "invalid cgroup namespace mode: " + cgns);
  return {};
}

Result<> apply_namespace_modes(json& spec, const json& hc, const DonorLookup& lookup, const std::string& shm_dir) {
  auto ipc = json_string(hc, "IpcMode");
  if (ipc == "none") set_shm(spec, std::nullopt);
  else if (ipc == "shareable") set_shm(spec, bind_mount("/dev/shm", shm_dir));
  else if (ipc == "host") {
    drop_namespace(spec, "ipc");
    set_shm(spec, bind_mount("/dev/shm", "/dev/shm"));
  } else if (starts_with(ipc, "container:")) {
    auto d = running_donor(lookup, ipc.substr(10), "IPC");
    if (!d) return fail(d.error());
    if (d->ipc_mode != "shareable" && d->ipc_mode != "host")
      return fail(ErrorKind::Invalid, "non-shareable IPC (hint: use IpcMode:shareable for the donor container)");
    auto proc = "/proc/" + std::to_string(d->pid);
    if (d->ipc_mode == "host") drop_namespace(spec, "ipc");
    else join_namespace(spec, "ipc", proc + "/ns/ipc");
    set_shm(spec, bind_mount("/dev/shm", d->ipc_mode == "host" ? "/dev/shm" : d->shm_dir));
  }
  auto pid = json_string(hc, "PidMode");
  if (pid == "host") drop_namespace(spec, "pid");
  else if (starts_with(pid, "container:")) {
    auto d = running_donor(lookup, pid.substr(10), "PID");
    if (!d) return fail(d.error());
    join_namespace(spec, "pid", "/proc/" + std::to_string(d->pid) + "/ns/pid");
  }
  auto uts = json_string(hc, "UTSMode");
  if (uts == "host" || starts_with(uts, "container:")) {
    if (uts == "host") {
      drop_namespace(spec, "uts");
    } else {
      auto d = running_donor(lookup, uts.substr(10), "UTS");
      if (!d) return fail(d.error());
      join_namespace(spec, "uts", "/proc/" + std::to_string(d->pid) + "/ns/uts");
    }
    spec.erase("hostname");  // the names are those of the namespace it shares
    spec.erase("domainname");
  }
  if (json_string(hc, "CgroupnsMode") == "host") drop_namespace(spec, "cgroup");
  return {};
}

Result<> apply_sysctls(json& spec, const json& hc, bool host_network) {
  if (!hc.contains("Sysctls") || hc["Sysctls"].is_null()) return {};
  if (!hc["Sysctls"].is_object()) return fail(ErrorKind::Invalid, "HostConfig.Sysctls: expected an object of strings");
  json out = json::object();
  for (auto& [k, v] : hc["Sysctls"].items()) {
    if (!v.is_string()) return fail(ErrorKind::Invalid, "HostConfig.Sysctls: expected an object of strings");
    // A name is a dotted path under /proc/sys: nothing that could walk out of it.
    if (k.empty() || k.find("..") != std::string::npos || k.front() == '.' || k.back() == '.' ||
        k.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos)
      return fail(ErrorKind::Invalid, "sysctl \"" + k + "\": invalid name");
    if (starts_with(k, "net.")) {
      if (host_network) return fail(ErrorKind::Invalid, "sysctl \"" + k + "\" not allowed in host network namespace");
    } else if (!ipc_sysctl(k)) {
      return fail(ErrorKind::Invalid, "sysctl \"" + k + "\" is not in a separate kernel namespace");
    }
    out[k] = v;
  }
  if (!out.empty()) spec["linux"]["sysctl"] = out;
  return {};
}

}  // namespace berth::engine
