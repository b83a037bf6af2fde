// config.json -> Spec. Every type check names the field, so a user sees
// "config.json: process.args: expected array, got string".
#include <sys/resource.h>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "runtime/spec/spec.hpp"
#include "runtime/spec/spec_fields.hpp"

namespace berth::runtime {
namespace {

Result<std::vector<IdMapping>> parse_idmaps(const json& o, const char* key, std::string_view path) {
  std::vector<IdMapping> out;
  auto arr = BERTH_TRY(get_arr(o, key, path), "");
  if (!arr) return out;
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string p = std::string(path) + "." + key + "[" + std::to_string(i) + "]";
    const auto& e = (*arr)[i];
    if (!e.is_object()) return fail(json_type_error(p, "object", e));
    IdMapping m;
    auto c = BERTH_TRY(get_int<uint32_t>(e, "containerID", p), "");
    auto h = BERTH_TRY(get_int<uint32_t>(e, "hostID", p), "");
    auto s = BERTH_TRY(get_int<uint32_t>(e, "size", p), "");
    if (!c || !h || !s) return invalid(p, "containerID, hostID and size are required");
    if (*s == 0) return invalid(p + ".size", "must be greater than 0");
    m.container_id = *c;
    m.host_id = *h;
    m.size = *s;
    out.push_back(m);
  }
  return out;
}

struct RlimitName {
  const char* name;
  int res;
};
constexpr RlimitName kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

Result<User> parse_user(const json& o, std::string_view path) {
  User u;
  auto uid = BERTH_TRY(get_int<uint32_t>(o, "uid", path), "");
  auto gid = BERTH_TRY(get_int<uint32_t>(o, "gid", path), "");
  auto umask = BERTH_TRY(get_int<uint32_t>(o, "umask", path), "");
  u.uid = uid.value_or(0);
  u.gid = gid.value_or(0);
  u.umask = umask;
  auto ag = BERTH_TRY(get_arr(o, "additionalGids", path), "");
  if (ag) {
    for (size_t i = 0; i < ag->size(); ++i) {
      const auto& e = (*ag)[i];
      if (!e.is_number_unsigned())
        return fail(json_type_error(std::string(path) + ".additionalGids[" + std::to_string(i) + "]",
                                     "unsigned integer", e));
      u.additional_gids.push_back(e.get<uint32_t>());
    }
  }
  return u;
}

Result<Hook> parse_hook(const json& e, const std::string& p) {
  if (!e.is_object()) return fail(json_type_error(p, "object", e));
  Hook h;
  h.path = BERTH_TRY(get_str(e, "path", p, true), "");
  if (h.path.empty() || h.path[0] != '/') return invalid(p + ".path", "must be an absolute path");
  h.args = BERTH_TRY(get_strs(e, "args", p), "");
  h.env = BERTH_TRY(get_strs(e, "env", p), "");
  h.has_env = e.contains("env") && !e["env"].is_null();
  h.timeout = BERTH_TRY(get_int<int>(e, "timeout", p), "");
  if (h.timeout && *h.timeout <= 0) return invalid(p + ".timeout", "must be greater than 0");
  return h;
}

Result<Mount> parse_mount(const json& e, const std::string& p) {
  if (!e.is_object()) return fail(json_type_error(p, "object", e));
  Mount m;
  m.destination = BERTH_TRY(get_str(e, "destination", p, true), "");
  if (m.destination.empty()) return invalid(p + ".destination", "must not be empty");
  m.type = BERTH_TRY(get_str(e, "type", p), "");
  m.source = BERTH_TRY(get_str(e, "source", p), "");
  m.options = BERTH_TRY(get_strs(e, "options", p), "");
  m.uid_mappings = BERTH_TRY(parse_idmaps(e, "uidMappings", p), "");
  m.gid_mappings = BERTH_TRY(parse_idmaps(e, "gidMappings", p), "");
  return m;
}

Result<Device> parse_device(const json& e, const std::string& p) {
  if (!e.is_object()) return fail(json_type_error(p, "object", e));
  Device d;
  d.path = BERTH_TRY(get_str(e, "path", p, true), "");
  if (d.path.empty() || d.path[0] != '/') return invalid(p + ".path", "must be an absolute path");
  auto type = BERTH_TRY(get_str(e, "type", p, true), "");
  if (type != "c" && type != "b" && type != "u" && type != "p")
    return invalid(p + ".type", "must be one of c, b, u, p, got \"" + type + "\"");
  d.type = type[0];
  auto major = BERTH_TRY(get_int<int64_t>(e, "major", p), "");
  auto minor = BERTH_TRY(get_int<int64_t>(e, "minor", p), "");
  if (d.type != 'p' && (!major || !minor)) return invalid(p, "major and minor are required for type " + type);
  d.major = major.value_or(0);
  d.minor = minor.value_or(0);
  d.file_mode = BERTH_TRY(get_int<uint32_t>(e, "fileMode", p), "");
  d.uid = BERTH_TRY(get_int<uint32_t>(e, "uid", p), "");
  d.gid = BERTH_TRY(get_int<uint32_t>(e, "gid", p), "");
  return d;
}

Result<Linux> parse_linux(const json& o) {
  const std::string p = "linux";
  Linux l;
  auto nss = BERTH_TRY(get_arr(o, "namespaces", p), "");
  if (nss) {
    for (size_t i = 0; i < nss->size(); ++i) {
      std::string np = p + ".namespaces[" + std::to_string(i) + "]";
      const auto& e = (*nss)[i];
      if (!e.is_object()) return fail(json_type_error(np, "object", e));
      auto type = BERTH_TRY(get_str(e, "type", np, true), "");
      auto t = ns_from_name(type);
      if (!t) return invalid(np + ".type", "unknown namespace type \"" + type + "\"");
      for (const auto& prev : l.namespaces)
        if (prev.type == *t) return invalid(np + ".type", "namespace \"" + type + "\" is listed twice");
      Namespace ns{*t, BERTH_TRY(get_str(e, "path", np), "")};
      if (!ns.path.empty() && ns.path[0] != '/') return invalid(np + ".path", "must be an absolute path");
      l.namespaces.push_back(ns);
    }
  }
  l.uid_mappings = BERTH_TRY(parse_idmaps(o, "uidMappings", p), "");
  l.gid_mappings = BERTH_TRY(parse_idmaps(o, "gidMappings", p), "");
  auto devs = BERTH_TRY(get_arr(o, "devices", p), "");
  if (devs)
    for (size_t i = 0; i < devs->size(); ++i)
      l.devices.push_back(BERTH_TRY(parse_device((*devs)[i], p + ".devices[" + std::to_string(i) + "]"), ""));
  l.cgroups_path = BERTH_TRY(get_str(o, "cgroupsPath", p), "");
  if (auto r = BERTH_TRY(get_obj(o, "resources", p), "")) l.resources = *r;
  if (auto s = BERTH_TRY(get_obj(o, "seccomp", p), "")) l.seccomp = *s;
  if (auto sc = BERTH_TRY(get_obj(o, "sysctl", p), "")) {
    for (auto it = sc->begin(); it != sc->end(); ++it) {
      if (!it->is_string()) return fail(json_type_error(p + ".sysctl." + it.key(), "string", *it));
      l.sysctl[it.key()] = it->get<std::string>();
    }
  }
  l.rootfs_propagation = BERTH_TRY(get_str(o, "rootfsPropagation", p), "");
  static const char* kProp[] = {"", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};
  if (std::find(std::begin(kProp), std::end(kProp), l.rootfs_propagation) == std::end(kProp))
    return invalid(p + ".rootfsPropagation", "unknown propagation \"" + l.rootfs_propagation + "\"");
  l.masked_paths = BERTH_TRY(get_strs(o, "maskedPaths", p), "");
  l.readonly_paths = BERTH_TRY(get_strs(o, "readonlyPaths", p), "");
  l.mount_label = BERTH_TRY(get_str(o, "mountLabel", p), "");
  if (o.contains("personality")) l.personality = o["personality"];
  if (o.contains("intelRdt")) l.intel_rdt = o["intelRdt"];
  if (o.contains("timeOffsets")) l.time_offsets = o["timeOffsets"];
  if (!l.uid_mappings.empty() || !l.gid_mappings.empty()) {
    const Namespace* user = l.find(NsType::User);
    if (!user) return invalid(p + ".uidMappings", "mappings given without a user namespace");
  }
  if (const Namespace* user = l.find(NsType::User); user && user->path.empty() &&
      (l.uid_mappings.empty() || l.gid_mappings.empty()))
    return invalid(p + ".namespaces", "a new user namespace needs linux.uidMappings and linux.gidMappings");
  return l;
}

}  // namespace

const Namespace* Linux::find(NsType t) const {
  for (const auto& n : namespaces)
    if (n.type == t) return &n;
  return nullptr;
}

Result<Process> parse_process(const json& o, std::string_view where) {
  std::string p(where);
  if (!o.is_object()) return fail(json_type_error(p, "object", o));
  Process pr;
  pr.terminal = BERTH_TRY(get_bool(o, "terminal", p), "");
  if (auto cs = BERTH_TRY(get_obj(o, "consoleSize", p), "")) {
    auto h = BERTH_TRY(get_int<unsigned>(*cs, "height", p + ".consoleSize"), "");
    auto w = BERTH_TRY(get_int<unsigned>(*cs, "width", p + ".consoleSize"), "");
    pr.console_size = ConsoleSize{h.value_or(0), w.value_or(0)};
  }
  if (auto u = BERTH_TRY(get_obj(o, "user", p), "")) pr.user = BERTH_TRY(parse_user(*u, p + ".user"), "");
  pr.args = BERTH_TRY(get_strs(o, "args", p), "");
  if (pr.args.empty()) return invalid(p + ".args", "must contain at least the program to run");
  pr.env = BERTH_TRY(get_strs(o, "env", p), "");
  pr.cwd = BERTH_TRY(get_str(o, "cwd", p), "");
  if (pr.cwd.empty()) pr.cwd = "/";
  if (pr.cwd[0] != '/') return invalid(p + ".cwd", "must be an absolute path, got \"" + pr.cwd + "\"");
  if (auto caps = BERTH_TRY(get_obj(o, "capabilities", p), "")) {
    std::string cp = p + ".capabilities";
    Capabilities c;
    c.bounding = BERTH_TRY(get_strs(*caps, "bounding", cp), "");
    c.effective = BERTH_TRY(get_strs(*caps, "effective", cp), "");
    c.inheritable = BERTH_TRY(get_strs(*caps, "inheritable", cp), "");
    c.permitted = BERTH_TRY(get_strs(*caps, "permitted", cp), "");
    c.ambient = BERTH_TRY(get_strs(*caps, "ambient", cp), "");
    pr.capabilities = std::move(c);
  }
  if (auto rl = BERTH_TRY(get_arr(o, "rlimits", p), "")) {
    for (size_t i = 0; i < rl->size(); ++i) {
      std::string rp = p + ".rlimits[" + std::to_string(i) + "]";
      const auto& e = (*rl)[i];
      if (!e.is_object()) return fail(json_type_error(rp, "object", e));
      Rlimit r;
      r.name = BERTH_TRY(get_str(e, "type", rp, true), "");
      auto it = std::find_if(std::begin(kRlimits), std::end(kRlimits), [&](auto& k) { return r.name == k.name; });
      if (it == std::end(kRlimits)) return invalid(rp + ".type", "unknown rlimit \"" + r.name + "\"");
      r.resource = it->res;
      auto soft = BERTH_TRY(get_int<uint64_t>(e, "soft", rp), "");
      auto hard = BERTH_TRY(get_int<uint64_t>(e, "hard", rp), "");
      if (!soft || !hard) return invalid(rp, "soft and hard are required");
      if (*soft > *hard) return invalid(rp, "soft limit is greater than the hard limit");
      r.soft = *soft;
      r.hard = *hard;
      pr.rlimits.push_back(r);
    }
  }
  pr.no_new_privileges = BERTH_TRY(get_bool(o, "noNewPrivileges", p), "");
  pr.oom_score_adj = BERTH_TRY(get_int<int>(o, "oomScoreAdj", p), "");
  if (pr.oom_score_adj && (*pr.oom_score_adj < -1000 || *pr.oom_score_adj > 1000))
    return invalid(p + ".oomScoreAdj", "must be between -1000 and 1000");
  pr.apparmor_profile = BERTH_TRY(get_str(o, "apparmorProfile", p), "");
  pr.selinux_label = BERTH_TRY(get_str(o, "selinuxLabel", p), "");
  if (o.contains("scheduler")) pr.scheduler = o["scheduler"];
  if (o.contains("ioPriority")) pr.io_priority = o["ioPriority"];
  return pr;
}

Result<Hooks> parse_hooks(const json& o) {
  Hooks h;
  auto list = [&](const char* key, std::vector<Hook>& out) -> Result<> {
    auto arr = BERTH_TRY(get_arr(o, key, "hooks"), "");
    if (!arr) return {};
    for (size_t i = 0; i < arr->size(); ++i)
      out.push_back(BERTH_TRY(parse_hook((*arr)[i], std::string("hooks.") + key + "[" + std::to_string(i) + "]"), ""));
    return {};
  };
  BERTH_CHECK(list("prestart", h.prestart), "");
  BERTH_CHECK(list("createRuntime", h.create_runtime), "");
  BERTH_CHECK(list("createContainer", h.create_container), "");
  BERTH_CHECK(list("startContainer", h.start_container), "");
  BERTH_CHECK(list("poststart", h.poststart), "");
  BERTH_CHECK(list("poststop", h.poststop), "");
  return h;
}

Result<Spec> parse_spec(std::string_view text, const std::string& bundle) {
  auto doc = BERTH_TRY(parse_json(text, "config.json"), "");
  if (!doc.is_object()) return fail(json_type_error("config.json", "object", doc));
  Spec s;
  auto wrap = [](Error e) { return fail(std::move(e).wrap("config.json")); };
  auto ver = get_str(doc, "ociVersion", "", true);
  if (!ver) return wrap(make_error(ErrorKind::Invalid, "ociVersion: required field is missing"));
  s.oci_version = *ver;
  auto root = get_obj(doc, "root", "");
  if (!root) return wrap(root.error());
  if (!*root) return wrap(make_error(ErrorKind::Invalid, "root: required field is missing"));
  auto rp = get_str(**root, "path", "root", true);
  if (!rp) return wrap(rp.error());
  s.root_path = (*rp)[0] == '/' ? *rp : path_join(bundle, *rp);
  auto ro = get_bool(**root, "readonly", "root");
  if (!ro) return wrap(ro.error());
  s.root_readonly = *ro;
  if (auto pr = get_obj(doc, "process", ""); !pr) {
    return wrap(pr.error());
  } else if (*pr) {
    auto proc = parse_process(**pr, "process");
    if (!proc) return wrap(proc.error());
    s.process = std::move(*proc);
  }
  auto hn = get_str(doc, "hostname", "");
  if (!hn) return wrap(hn.error());
  s.hostname = *hn;
  auto dn = get_str(doc, "domainname", "");
  if (!dn) return wrap(dn.error());
  s.domainname = *dn;
  auto mounts = get_arr(doc, "mounts", "");
  if (!mounts) return wrap(mounts.error());
  if (*mounts)
    for (size_t i = 0; i < (*mounts)->size(); ++i) {
      auto m = parse_mount((**mounts)[i], "mounts[" + std::to_string(i) + "]");
      if (!m) return wrap(m.error());
      s.mounts.push_back(std::move(*m));
    }
  if (auto hk = get_obj(doc, "hooks", ""); !hk) {
    return wrap(hk.error());
  } else if (*hk) {
    auto h = parse_hooks(**hk);
    if (!h) return wrap(h.error());
    s.hooks = std::move(*h);
  }
  if (auto an = get_obj(doc, "annotations", ""); !an) {
    return wrap(an.error());
  } else if (*an) {
    for (auto it = (*an)->begin(); it != (*an)->end(); ++it) {
      if (!it->is_string()) return wrap(json_type_error("annotations." + it.key(), "string", *it));
      s.annotations[it.key()] = it->get<std::string>();
    }
  }
  if (auto lx = get_obj(doc, "linux", ""); !lx) {
    return wrap(lx.error());
  } else if (*lx) {
    auto l = parse_linux(**lx);
    if (!l) return wrap(l.error());
    s.linux = std::move(*l);
  }
  if ((!s.hostname.empty() || !s.domainname.empty()) && !s.linux.find(NsType::Uts))
    return wrap(make_error(ErrorKind::Invalid, "hostname: setting a hostname needs a new uts namespace"));
  s.document = std::move(doc);
  return s;
}

Result<Spec> load_spec(const std::string& bundle) {
  auto text = read_file(path_join(bundle, "config.json"));
  if (!text) return fail(text.error().wrap("load bundle " + bundle));
  return parse_spec(*text, bundle);
}

}  // namespace berth::runtime
