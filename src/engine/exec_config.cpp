#include "engine/exec_config.hpp"

#include <algorithm>

#include "runtime/process/capabilities.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

Result<std::vector<std::string>> exec_strings(const json& body, const char* key) {
  std::vector<std::string> out;
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(ErrorKind::Invalid, std::string(key) + ": expected an array of strings");
  for (auto& v : *it) {
    if (!v.is_string()) return fail(ErrorKind::Invalid, std::string(key) + ": expected an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::string> text(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return fail(ErrorKind::Invalid, std::string(key) + ": expected a string");
  return it->get<std::string>();
}

Result<bool> bool_field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) return fail(ErrorKind::Invalid, std::string(key) + ": expected a boolean");
  return it->get<bool>();
}

std::string_view env_key(std::string_view kv) { return kv.substr(0, kv.find('=')); }

// dockerd: the container's environment, with the exec's variables replacing same-named ones.
json merged_env(const json& base, const std::vector<std::string>& add) {
  std::vector<std::string> out;
  if (base.is_array())
    for (auto& v : base)
      if (v.is_string()) out.push_back(v.get<std::string>());
  for (auto& kv : add) {
    auto same = [&](const std::string& e) { return env_key(e) == env_key(kv); };
    if (auto it = std::find_if(out.begin(), out.end(), same); it != out.end()) *it = kv;
    else out.push_back(kv);
  }
  return out;
}

}  // namespace

Result<ExecConfig> parse_exec_config(const json& body) {
  if (!body.is_object()) return fail(ErrorKind::Invalid, "exec config: expected a JSON object");
  ExecConfig c;
  c.cmd = BERTH_TRY(exec_strings(body, "Cmd"), "");
  if (c.cmd.empty()) return fail(ErrorKind::Invalid, "No exec command specified");
  c.env = BERTH_TRY(exec_strings(body, "Env"), "");
  c.user = BERTH_TRY(text(body, "User"), "");
  c.working_dir = BERTH_TRY(text(body, "WorkingDir"), "");
  c.detach_keys = BERTH_TRY(text(body, "DetachKeys"), "");
  c.tty = BERTH_TRY(bool_field(body, "Tty"), "");
  c.privileged = BERTH_TRY(bool_field(body, "Privileged"), "");
  c.attach_stdin = BERTH_TRY(bool_field(body, "AttachStdin"), "");
  c.attach_stdout = BERTH_TRY(bool_field(body, "AttachStdout"), "");
  c.attach_stderr = BERTH_TRY(bool_field(body, "AttachStderr"), "");
  if (auto it = body.find("ConsoleSize"); it != body.end() && !it->is_null()) {
    auto dim_ok = [](const json& v) { return v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 65535; };
    if (!it->is_array() || it->size() != 2 || !dim_ok((*it)[0]) || !dim_ok((*it)[1]))
      return fail(ErrorKind::Invalid, "ConsoleSize: expected [height, width], each 0 to 65535");
    c.rows = (*it)[0].get<uint32_t>();
    c.cols = (*it)[1].get<uint32_t>();
  }
  if (!c.working_dir.empty() && c.working_dir[0] != '/')
    return fail(ErrorKind::Invalid, "the working directory '" + c.working_dir + "' is invalid, it needs to be an absolute path");
  return c;
}

Result<json> exec_process(const json& base, const ExecConfig& c, const std::optional<ResolvedUser>& user) {
  if (!base.is_object()) return fail(ErrorKind::Internal, "the container's config.json has no process");
  json p = base;
  p["args"] = c.cmd;
  p["terminal"] = c.tty;
  p.erase("consoleSize");
  if (c.tty && c.rows && c.cols) p["consoleSize"] = {{"height", c.rows}, {"width", c.cols}};
  std::vector<std::string> env = c.env;
  if (c.tty) env.insert(env.begin(), "TERM=xterm");
  p["env"] = merged_env(base.value("env", json::array()), env);
  if (!c.working_dir.empty()) p["cwd"] = c.working_dir;
  if (user) {
    p["user"] = {{"uid", user->uid}, {"gid", user->gid}};
    if (!user->additional_gids.empty()) p["user"]["additionalGids"] = user->additional_gids;
  }
  // As runc does for docker's execs: the primary group is among the supplementary ones too.
  if (p.contains("user") && p["user"].is_object() && p["user"].contains("gid")) {
    json& groups = p["user"]["additionalGids"];
    if (!groups.is_array()) groups = json::array();
    if (std::find(groups.begin(), groups.end(), p["user"]["gid"]) == groups.end()) groups.insert(groups.begin(), p["user"]["gid"]);
  }
  if (c.privileged) {
    auto all = runtime::all_cap_names();
    p["capabilities"] = {{"bounding", all}, {"effective", all}, {"permitted", all}};
  }
  return p;
}

}  // namespace berth::engine
