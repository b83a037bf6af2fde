#include "engine/oci_spec_builder.hpp"

#include <vector>

#include "common/json_util.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// dockerd's default capability set.
const json& docker_caps() {
  static const json caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE",     "CAP_FSETID", "CAP_FOWNER",
                            "CAP_MKNOD",  "CAP_NET_RAW",          "CAP_SETGID", "CAP_SETUID",
                            "CAP_SETFCAP", "CAP_SETPCAP",         "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                            "CAP_KILL",   "CAP_AUDIT_WRITE"};
  return caps;
}

Result<std::vector<std::string>> strings(const json* j, const char* name) {
  std::vector<std::string> out;
  if (!j) return out;
  if (j->is_string()) return std::vector<std::string>{j->get<std::string>()};  // "Cmd": "sh" (old clients)
  if (!j->is_array()) return fail(ErrorKind::Invalid, std::string(name) + ": expected an array of strings");
  for (auto& e : *j) {
    if (!e.is_string()) return fail(ErrorKind::Invalid, std::string(name) + ": expected an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string str(const json* j) { return j && j->is_string() ? j->get<std::string>() : std::string(); }

// Image env first, the request's entries replace those with the same name.
std::vector<std::string> merge_env(const std::vector<std::string>& base, const std::vector<std::string>& over) {
  std::vector<std::string> out = base;
  for (auto& e : over) {
    auto key = e.substr(0, e.find('='));
    bool replaced = false;
    for (auto& o : out)
      if (o.substr(0, o.find('=')) == key) {
        o = e;
        replaced = true;
      }
    if (!replaced) out.push_back(e);
  }
  return out;
}

}  // namespace

std::string effective_user(const json& image_config, const json& config) {
  auto u = str(json_field(config, "User"));
  return u.empty() ? str(json_field(image_config, "User")) : u;
}

Result<json> build_oci_spec(const json& image_config, const json& config, const SpecInputs& in) {
  auto image_env = BERTH_TRY(strings(json_field(image_config, "Env"), "Env"), "image config");
  auto env = BERTH_TRY(strings(json_field(config, "Env"), "Env"), "");
  auto image_entry = BERTH_TRY(strings(json_field(image_config, "Entrypoint"), "Entrypoint"), "image config");
  auto image_cmd = BERTH_TRY(strings(json_field(image_config, "Cmd"), "Cmd"), "image config");
  const json* entry_j = json_field(config, "Entrypoint");
  const json* cmd_j = json_field(config, "Cmd");
  auto entry = BERTH_TRY(strings(entry_j, "Entrypoint"), "");
  auto cmd = BERTH_TRY(strings(cmd_j, "Cmd"), "");
  // dockerd: an Entrypoint in the request drops the image's Cmd; an empty one ("") clears it.
  std::vector<std::string> args;
  if (entry_j) {
    if (!(entry.size() == 1 && entry[0].empty())) args = entry;
    if (cmd_j) args.insert(args.end(), cmd.begin(), cmd.end());
  } else {
    args = image_entry;
    const auto& c = cmd_j ? cmd : image_cmd;
    args.insert(args.end(), c.begin(), c.end());
  }
  if (args.empty()) return fail(ErrorKind::Invalid, "No command specified");

  bool tty = json_field(config, "Tty") && json_field(config, "Tty")->is_boolean() && json_field(config, "Tty")->get<bool>();
  std::vector<std::string> all_env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  std::string hostname = str(json_field(config, "Hostname"));
  if (hostname.empty()) hostname = in.id.substr(0, 12);
  all_env.push_back("HOSTNAME=" + hostname);
  all_env = merge_env(all_env, image_env);
  if (tty) all_env = merge_env(all_env, {"TERM=xterm"});
  all_env = merge_env(all_env, env);
  std::string cwd = str(json_field(config, "WorkingDir"));
  if (cwd.empty()) cwd = str(json_field(image_config, "WorkingDir"));
  if (cwd.empty()) cwd = "/";
  if (cwd[0] != '/') return fail(ErrorKind::Invalid, "the working directory '" + cwd + "' is invalid, it needs to be an absolute path");

  json spec = runtime::default_spec(false);
  auto& p = spec["process"];
  p["terminal"] = tty;
  p["args"] = args;
  p["env"] = all_env;
  p["cwd"] = cwd;
  p["user"] = {{"uid", in.user.uid}, {"gid", in.user.gid}};
  if (!in.user.additional_gids.empty()) p["user"]["additionalGids"] = in.user.additional_gids;
  const json& caps = docker_caps();
  p["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  p.erase("noNewPrivileges");
  p["rlimits"] = json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1048576}, {"soft", 1048576}}});
  spec["root"] = {{"path", in.rootfs}, {"readonly", false}};
  spec["hostname"] = hostname;
  if (auto d = str(json_field(config, "Domainname")); !d.empty()) spec["domainname"] = d;
  spec["linux"]["cgroupsPath"] = "/berth/" + in.id;

  // Docker mounts /sys/fs/cgroup read-only and gives the container its own /dev/mqueue.
  return spec;
}

void add_init_process(json& spec, const std::string& init_path) {
  auto& args = spec["process"]["args"];
  args.insert(args.begin(), {kContainerInitPath, "--"});
  spec["mounts"].push_back(
      {{"destination", kContainerInitPath}, {"type", "bind"}, {"source", init_path}, {"options", {"bind", "ro"}}});
}

}  // namespace berth::engine
