#include "engine/build/config_apply.hpp"

#include <algorithm>
#include <charconv>

#include "engine/build/dockerignore.hpp"
#include "engine/build/go_format.hpp"

namespace berth::engine::build {
namespace {

using nlohmann::json;

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (auto& e : j) out.push_back(e.get<std::string>());
  }
  return out;
}

// Env keeps its order: a known name is replaced where it is, a new one appended.
void set_env(json& config, const std::string& key, const std::string& value) {
  json& env = config["Env"];
  if (!env.is_array()) env = json::array();
  std::string entry = key + "=" + value;
  for (auto& e : env) {
    std::string s = e.get<std::string>();
    if (s.substr(0, s.find('=')) == key) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

json& object_at(json& config, const char* key) {
  json& o = config[key];
  if (!o.is_object()) o = json::object();
  return o;
}

std::string kv_list(std::string_view cmd, const std::vector<KeyValue>& kvs) {
  std::string s(cmd);
  for (auto& kv : kvs) s += " " + kv.key + "=" + kv.value;
  return s;
}

Result<uint32_t> port_number(std::string_view s, std::string_view spec) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || n > 65535) {
    return fail(ErrorKind::Invalid, "invalid containerPort: " + std::string(spec));
  }
  return n;
}

}  // namespace

std::vector<std::string> stage_shell(const json& config) {
  auto it = config.find("Shell");
  if (it != config.end() && it->is_array() && !it->empty()) return strings_of(*it);
  return {"/bin/sh", "-c"};
}

std::vector<std::string> resolve_cmdline(const CommandLine& c, const json& config) {
  if (!c.prepend_shell) return c.args;
  std::vector<std::string> out = stage_shell(config);
  std::string joined;
  for (size_t i = 0; i < c.args.size(); ++i) joined += (i ? " " : "") + c.args[i];
  out.push_back(joined);
  return out;
}

std::string normalize_workdir(std::string_view current, std::string_view requested) {
  if (requested.starts_with('/')) return clean_path(requested);
  return clean_path("/" + std::string(current) + "/" + std::string(requested));
}

Result<std::vector<std::string>> parse_exposed_ports(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  for (const auto& spec : specs) {
    std::string_view s = spec;
    std::string proto = "tcp";
    if (auto slash = s.find('/'); slash != std::string_view::npos) {
      proto = std::string(s.substr(slash + 1));
      std::ranges::transform(proto, proto.begin(), [](unsigned char c) { return std::tolower(c); });
      s = s.substr(0, slash);
      if (proto != "tcp" && proto != "udp" && proto != "sctp") {
        return fail(ErrorKind::Invalid, "invalid proto: " + proto);
      }
    }
    auto dash = s.find('-');
    uint32_t first = BERTH_TRY(port_number(s.substr(0, dash), spec), "");
    uint32_t last = first;
    if (dash != std::string_view::npos) {
      last = BERTH_TRY(port_number(s.substr(dash + 1), spec), "");
      if (last < first) return fail(ErrorKind::Invalid, "invalid range specified for container port: " + spec);
    }
    for (uint32_t p = first; p <= last; ++p) out.push_back(std::to_string(p) + "/" + proto);
  }
  return out;
}

Result<std::string> apply_to_config(StageConfig& st, const Instruction& ins) {
  json& c = st.config;
  std::string comment;
  if (auto* e = std::get_if<EnvCmd>(&ins.payload)) {
    for (auto& kv : e->vars) set_env(c, kv.key, kv.value);
    comment = kv_list("ENV", e->vars);
  } else if (auto* l = std::get_if<LabelCmd>(&ins.payload)) {
    json& labels = object_at(c, "Labels");
    for (auto& kv : l->labels) labels[kv.key] = kv.value;
    comment = kv_list("LABEL", l->labels);
  } else if (auto* x = std::get_if<ExposeCmd>(&ins.payload)) {
    auto ports = parse_exposed_ports(x->ports);
    if (!ports) {
      return fail(ErrorKind::Invalid, "Dockerfile line " + std::to_string(ins.line) + ": " + ports.error().message);
    }
    json& exposed = object_at(c, "ExposedPorts");
    for (auto& p : *ports) exposed[p] = json::object();
    std::vector<std::string> sorted = x->ports;
    std::ranges::sort(sorted);
    comment = "EXPOSE";
    for (auto& p : sorted) comment += " " + p;
  } else if (auto* w = std::get_if<WorkdirCmd>(&ins.payload)) {
    c["WorkingDir"] = normalize_workdir(c.value("WorkingDir", ""), w->path);
    comment = "WORKDIR " + c["WorkingDir"].get<std::string>();
  } else if (auto* u = std::get_if<UserCmd>(&ins.payload)) {
    c["User"] = u->user;
    comment = "USER " + u->user;
  } else if (auto* v = std::get_if<VolumeCmd>(&ins.payload)) {
    json& volumes = object_at(c, "Volumes");
    for (auto& p : v->paths) {
      if (p.empty()) return fail(ErrorKind::Invalid, "VOLUME specified can not be an empty string");
      volumes[p] = json::object();
    }
    comment = "VOLUME " + go_list(v->paths);
  } else if (auto* s = std::get_if<StopSignalCmd>(&ins.payload)) {
    c["StopSignal"] = s->signal;  // the executor checks the name (engine/stop_signal.hpp)
    comment = "STOPSIGNAL " + s->signal;
  } else if (auto* h = std::get_if<HealthcheckCmd>(&ins.payload)) {
    json hc = {{"Test", h->test}};
    if (h->interval.count()) hc["Interval"] = h->interval.count();
    if (h->timeout.count()) hc["Timeout"] = h->timeout.count();
    if (h->start_period.count()) hc["StartPeriod"] = h->start_period.count();
    if (h->start_interval.count()) hc["StartInterval"] = h->start_interval.count();
    if (h->retries) hc["Retries"] = h->retries;
    c["Healthcheck"] = hc;
    // Go's %q of the *HealthConfig: every field quoted, Retries as a rune literal.
    char retries[16];
    std::snprintf(retries, sizeof retries, "'\\x%02x'", unsigned(h->retries) & 0xff);
    comment = "HEALTHCHECK &{" + go_quote_list(h->test) + " " + go_quote(go_duration(h->interval)) + " " +
              go_quote(go_duration(h->timeout)) + " " + go_quote(go_duration(h->start_period)) + " " +
              go_quote(go_duration(h->start_interval)) + " " + retries + "}";
  } else if (auto* sh = std::get_if<ShellCmd>(&ins.payload)) {
    c["Shell"] = sh->shell;
    comment = "SHELL " + go_list(sh->shell);
  } else if (auto* o = std::get_if<OnbuildCmd>(&ins.payload)) {
    json& onbuild = c["OnBuild"];
    if (!onbuild.is_array()) onbuild = json::array();
    onbuild.push_back(o->expression);
    comment = "ONBUILD " + o->expression;
  } else if (auto* cmd = std::get_if<CmdCmd>(&ins.payload)) {
    auto line = resolve_cmdline(cmd->cmdline, c);
    c["Cmd"] = line;
    st.cmd_set = true;
    comment = "CMD " + go_quote_list(line);
  } else if (auto* ep = std::get_if<EntrypointCmd>(&ins.payload)) {
    // ENTRYPOINT [] clears it; an ENTRYPOINT drops an inherited CMD, not this stage's own.
    std::vector<std::string> line;
    if (ep->cmdline.prepend_shell || !ep->cmdline.args.empty()) line = resolve_cmdline(ep->cmdline, c);
    c["Entrypoint"] = line.empty() ? json(nullptr) : json(line);
    if (!st.cmd_set) c["Cmd"] = nullptr;
    comment = "ENTRYPOINT " + go_quote_list(line);
  } else if (auto* m = std::get_if<MaintainerCmd>(&ins.payload)) {
    st.author = m->name;
    comment = "MAINTAINER " + m->name;
  } else if (auto* a = std::get_if<ArgCmd>(&ins.payload)) {
    comment = "ARG";
    for (auto& d : a->args) comment += " " + d.name + (d.default_value ? "=" + *d.default_value : "");
  } else {
    return fail(ErrorKind::Internal, std::string(command_name(ins.command)) + " does not only change the config");
  }
  // dockerd records the shell, "#(nop) " and the comment, joined by spaces; WORKDIR's line is
  // the comment of the container it commits (it makes a layer), with a single space.
  std::string created_by;
  for (auto& s : stage_shell(c)) created_by += s + " ";
  return created_by + (ins.command == Command::Workdir ? "#(nop) " : "#(nop)  ") + comment;
}

}  // namespace berth::engine::build
