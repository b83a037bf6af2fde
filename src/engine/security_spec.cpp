#include "engine/security_spec.hpp"

#include <algorithm>

#include "common/json_util.hpp"
#include "engine/capabilities.hpp"
#include "engine/host_devices.hpp"
#include "engine/seccomp_profile.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

Result<std::vector<std::string>> string_array(const json& hc, const char* key) {
  std::vector<std::string> out;
  if (!hc.contains(key) || hc[key].is_null()) return out;
  if (!hc[key].is_array()) return fail(ErrorKind::Invalid, std::string("HostConfig.") + key + ": expected an array of strings");
  for (auto& e : hc[key]) {
    if (!e.is_string()) return fail(ErrorKind::Invalid, std::string("HostConfig.") + key + ": expected an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}


// Removes "ro" from the options of the mount at dest (privileged: /sys and its cgroup tree).
void make_writable(json& spec, const std::string& dest) {
  for (auto& m : spec["mounts"])
    if (m.value("destination", "") == dest && m.contains("options")) {
      json opts = json::array();
      for (auto& o : m["options"])
        if (o != "ro") opts.push_back(o);
      opts.push_back("rw");
      m["options"] = opts;
    }
}

}  // namespace

SecurityContext host_security_context() { return {host_bounding_caps(), native_go_arch(), host_kernel_release()}; }

Result<SecurityOpts> parse_security_opts(const json& opts) {
  SecurityOpts out;
  if (opts.is_null()) return out;
  if (!opts.is_array()) return fail(ErrorKind::Invalid, "HostConfig.SecurityOpt: expected an array of strings");
  for (auto& e : opts) {
    if (!e.is_string()) return fail(ErrorKind::Invalid, "HostConfig.SecurityOpt: expected an array of strings");
    auto opt = e.get<std::string>();
    if (opt == "no-new-privileges") {
      out.no_new_privileges = true;
      continue;
    }
    if (opt == "disable") continue;  // label=disable's short form: no SELinux here
    auto sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');  // the deprecated separator dockerd still takes
    if (sep == std::string::npos) return fail(ErrorKind::Invalid, "invalid --security-opt 1: \"" + opt + "\"");
    auto k = opt.substr(0, sep), v = opt.substr(sep + 1);
    if (k == "label" || k == "apparmor") continue;  // no SELinux or AppArmor under berth
    if (k == "seccomp") {
      if (v == "unconfined") {
        out.seccomp_unconfined = true;
        out.seccomp_profile = nullptr;
      } else if (!v.empty() && v != "builtin") {
        out.seccomp_unconfined = false;
        out.seccomp_profile = BERTH_TRY(parse_seccomp_profile(v), "");
      }
      continue;
    }
    if (k == "no-new-privileges") {
      if (v == "true" || v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "True") out.no_new_privileges = true;
      else if (v == "false" || v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "False") out.no_new_privileges = false;
      else return fail(ErrorKind::Invalid, "invalid --security-opt 2: \"" + opt + "\"");
      continue;
    }
    return fail(ErrorKind::Invalid, "invalid --security-opt 2: \"" + opt + "\"");
  }
  return out;
}

Result<> apply_security(json& spec, const json& hc, const SecurityContext& ctx) {
  bool privileged = json_flag(hc, "Privileged");
  auto add = BERTH_TRY(string_array(hc, "CapAdd"), "");
  auto drop = BERTH_TRY(string_array(hc, "CapDrop"), "");
  auto caps = BERTH_TRY(container_caps(add, drop, privileged, ctx.host_caps), "");
  auto sec = BERTH_TRY(parse_security_opts(hc.value("SecurityOpt", json())), "");

  auto& p = spec["process"];
  p["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  if (sec.no_new_privileges.value_or(false)) p["noNewPrivileges"] = true;
  else p.erase("noNewPrivileges");
  if (json_flag(hc, "ReadonlyRootfs")) spec["root"]["readonly"] = true;

  auto& lx = spec["linux"];
  if (privileged) {
    // Everything the host has: no filters, no masks, every device, /sys writable.
    lx.erase("seccomp");
    lx["maskedPaths"] = json::array();
    lx["readonlyPaths"] = json::array();
    lx["resources"]["devices"] = json::array({{{"allow", true}, {"access", "rwm"}}});
    lx["devices"] = all_host_devices();
    make_writable(spec, "/sys");
    make_writable(spec, "/sys/fs/cgroup");
    return {};
  }
  auto paths = [&](const char* key, const std::vector<std::string>& fallback) {
    return hc.contains(key) && hc[key].is_array() ? hc[key] : json(fallback);
  };
  lx["maskedPaths"] = paths("MaskedPaths", docker_masked_paths());
  lx["readonlyPaths"] = paths("ReadonlyPaths", docker_readonly_paths());
  // The default devices (null, zero, tty, random, pts...) come from the runtime's allow-list
  // on top of this deny-all; --device adds its own rules.
  if (!lx.contains("resources") || !lx["resources"].contains("devices"))
    lx["resources"]["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  if (sec.seccomp_unconfined) {
    lx.erase("seccomp");
    return {};
  }
  const json& profile = sec.seccomp_profile.is_null() ? default_seccomp_profile() : sec.seccomp_profile;
  lx["seccomp"] = BERTH_TRY(resolve_seccomp_profile(profile, SeccompTarget{ctx.arch, caps, ctx.kernel}), "");
  return {};
}

}  // namespace berth::engine
