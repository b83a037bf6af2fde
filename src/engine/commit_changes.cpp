#include "engine/commit_changes.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

using nlohmann::json;

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Words split on blanks; quotes group and are removed, a backslash escapes the next character.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && quote != '\'') {
      cur += s[++i];
      in_word = true;
    } else if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

// The JSON form (["a","b"]) when the text is a JSON array of strings, else nullopt.
std::optional<json> json_form(const std::string& rest) {
  if (!rest.starts_with("[")) return std::nullopt;
  auto j = json::parse(rest, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  for (auto& e : j)
    if (!e.is_string()) return std::nullopt;
  return j;
}

// CMD and ENTRYPOINT: the JSON form as is, the shell form through /bin/sh -c.
json command(const std::string& rest) {
  if (auto j = json_form(rest)) return *j;
  if (rest.empty()) return json::array();
  return json::array({"/bin/sh", "-c", rest});
}

// k=v pairs (ENV, LABEL), or the legacy "ENV key value with spaces".
Result<std::vector<std::pair<std::string, std::string>>> pairs(const std::string& cmd, const std::string& rest) {
  auto w = words(rest);
  if (w.empty()) return fail(ErrorKind::Invalid, cmd + " requires at least one argument");
  std::vector<std::pair<std::string, std::string>> out;
  if (w[0].find('=') == std::string::npos) {
    if (w.size() < 2) return fail(ErrorKind::Invalid, cmd + " must have two arguments");
    auto sp = rest.find_first_of(" \t");
    out.emplace_back(w[0], trim(rest.substr(sp)));
    return out;
  }
  for (auto& kv : w) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return fail(ErrorKind::Invalid, "Syntax error - can't find = in \"" + kv + "\". Must be of the form: name=value");
    if (eq == 0) return fail(ErrorKind::Invalid, cmd + " names can not be blank");
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

Result<std::string> one_arg(const std::string& cmd, const std::string& rest) {
  auto w = words(rest);
  if (w.size() != 1) return fail(ErrorKind::Invalid, cmd + " requires exactly one argument");
  return w[0];
}

// "80", "80/udp", "8000-8010/tcp".
Result<> expose(json& cfg, const std::string& spec) {
  std::string port = spec, proto = "tcp";
  if (auto sl = spec.find('/'); sl != std::string::npos) {
    port = spec.substr(0, sl);
    proto = spec.substr(sl + 1);
  }
  auto number = [](const std::string& s) {
    return !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), ::isdigit) && std::stoi(s) <= 65535;
  };
  auto dash = port.find('-');
  bool ok = dash == std::string::npos ? number(port) : number(port.substr(0, dash)) && number(port.substr(dash + 1));
  if (!ok) return fail(ErrorKind::Invalid, "Invalid containerPort: " + port);
  if (proto != "tcp" && proto != "udp" && proto != "sctp") return fail(ErrorKind::Invalid, "Invalid proto: " + proto);
  if (!cfg.contains("ExposedPorts") || !cfg["ExposedPorts"].is_object()) cfg["ExposedPorts"] = json::object();
  if (dash == std::string::npos) {
    cfg["ExposedPorts"][port + "/" + proto] = json::object();
    return {};
  }
  for (int p = std::stoi(port.substr(0, dash)); p <= std::stoi(port.substr(dash + 1)); ++p)
    cfg["ExposedPorts"][std::to_string(p) + "/" + proto] = json::object();
  return {};
}

void set_env(json& cfg, const std::string& k, const std::string& v) {
  if (!cfg.contains("Env") || !cfg["Env"].is_array()) cfg["Env"] = json::array();
  for (auto& e : cfg["Env"])
    if (e.is_string() && e.get<std::string>().starts_with(k + "=")) {
      e = k + "=" + v;
      return;
    }
  cfg["Env"].push_back(k + "=" + v);
}

}  // namespace

Result<> apply_commit_change(json& cfg, std::string_view line) {
  std::string text = trim(line);
  auto sp = text.find_first_of(" \t");
  std::string cmd = text.substr(0, sp), rest = sp == std::string::npos ? "" : trim(text.substr(sp));
  std::string lower = cmd, upper = cmd;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (lower == "cmd") {
    cfg["Cmd"] = command(rest);
  } else if (lower == "entrypoint") {
    cfg["Entrypoint"] = command(rest);
  } else if (lower == "env") {
    for (auto& [k, v] : BERTH_TRY(pairs(upper, rest), "")) set_env(cfg, k, v);
  } else if (lower == "label") {
    if (!cfg.contains("Labels") || !cfg["Labels"].is_object()) cfg["Labels"] = json::object();
    for (auto& [k, v] : BERTH_TRY(pairs(upper, rest), "")) cfg["Labels"][k] = v;
  } else if (lower == "expose") {
    auto w = words(rest);
    if (w.empty()) return fail(ErrorKind::Invalid, "EXPOSE requires at least one argument");
    for (auto& p : w) BERTH_CHECK(expose(cfg, p), "");
  } else if (lower == "user") {
    cfg["User"] = BERTH_TRY(one_arg(upper, rest), "");
  } else if (lower == "workdir") {
    std::string dir = BERTH_TRY(one_arg(upper, rest), "");
    std::string cur = cfg.value("WorkingDir", json()).is_string() ? cfg["WorkingDir"].get<std::string>() : "";
    if (!dir.starts_with("/")) dir = (cur.empty() ? "/" : cur + (cur.ends_with("/") ? "" : "/")) + dir;
    cfg["WorkingDir"] = dir;
  } else if (lower == "stopsignal") {
    cfg["StopSignal"] = BERTH_TRY(one_arg(upper, rest), "");
  } else if (lower == "volume") {
    auto j = json_form(rest);
    std::vector<std::string> vols = j ? j->get<std::vector<std::string>>() : words(rest);
    if (vols.empty()) return fail(ErrorKind::Invalid, "VOLUME requires at least one argument");
    if (!cfg.contains("Volumes") || !cfg["Volumes"].is_object()) cfg["Volumes"] = json::object();
    for (auto& v : vols) {
      if (trim(v).empty()) return fail(ErrorKind::Invalid, "VOLUME specified can not be an empty string");
      cfg["Volumes"][v] = json::object();
    }
  } else if (lower == "onbuild") {
    if (rest.empty()) return fail(ErrorKind::Invalid, "ONBUILD requires at least one argument");
    std::string inner = rest.substr(0, rest.find_first_of(" \t"));
    std::transform(inner.begin(), inner.end(), inner.begin(), ::toupper);
    if (inner == "ONBUILD") return fail(ErrorKind::Invalid, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (inner == "FROM" || inner == "MAINTAINER")
      return fail(ErrorKind::Invalid, inner + " isn't allowed as an ONBUILD trigger");
    if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) cfg["OnBuild"] = json::array();
    cfg["OnBuild"].push_back(rest);
  } else {
    return fail(ErrorKind::Invalid, lower + " is not a valid change command");
  }
  return {};
}

}  // namespace berth::engine
