#include "engine/log_config.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "common/fs.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// berth keeps every container's log bounded unless told otherwise.
constexpr const char* kJsonDefaultSize = "10m";
constexpr const char* kJsonDefaultFiles = "3";
constexpr const char* kLocalDefaultSize = "20m";
constexpr const char* kLocalDefaultFiles = "5";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Go's strconv.Atoi, with its error text.
Result<int64_t> parse_int(std::string_view s) {
  auto bad = [&] { return fail(ErrorKind::Invalid, "strconv.Atoi: parsing \"" + std::string(s) + "\": invalid syntax"); };
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size() || s.size() > 18) return bad();
  int64_t v = 0;
  for (size_t k = i; k < s.size(); ++k) {
    if (!is_digit(s[k])) return bad();
    v = v * 10 + (s[k] - '0');
  }
  return s[0] == '-' ? -v : v;
}

// Go's strconv.ParseBool.
Result<bool> parse_bool(std::string_view s) {
  static const std::set<std::string_view> yes = {"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string_view> no = {"0", "f", "F", "FALSE", "false", "False"};
  if (yes.count(s)) return true;
  if (no.count(s)) return false;
  return fail(ErrorKind::Invalid, "strconv.ParseBool: parsing \"" + std::string(s) + "\": invalid syntax");
}

const std::set<std::string>& common_keys() {
  // Options of every driver (mode, max-buffer-size) and the record attributes dockerd
  // accepts; berth's records carry no attributes, so labels/env/tag change nothing.
  static const std::set<std::string> k = {"mode", "max-buffer-size", "labels", "labels-regex", "env", "env-regex", "tag"};
  return k;
}

Result<> check_mode(const std::map<std::string, std::string>& cfg) {
  auto m = cfg.find("mode");
  if (m != cfg.end() && m->second != "blocking" && m->second != "non-blocking" && !m->second.empty())
    return fail(ErrorKind::Invalid, "logger: logging mode not supported: " + m->second);
  if (cfg.count("max-buffer-size") && (m == cfg.end() || m->second != "non-blocking"))
    return fail(ErrorKind::Invalid, "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  return {};
}

Result<> check_rotation(const LogConfig& c) {
  auto& cfg = c.config;
  // "-1" is dockerd's documented "unlimited".
  if (auto it = cfg.find("max-size"); it != cfg.end() && it->second != "-1") {
    auto s = parse_log_size(it->second);
    if (!s) return fail(s.error());
    if (*s <= 0) return fail(ErrorKind::Invalid, "max-size must be a positive number");
  }
  if (auto it = cfg.find("max-file"); it != cfg.end()) {
    auto n = parse_int(it->second);
    if (!n) return fail(n.error());
    if (*n < 1) return fail(ErrorKind::Invalid, "max-file cannot be less than 1");
  }
  if (auto it = cfg.find("compress"); it != cfg.end()) {
    auto b = parse_bool(it->second);
    if (!b) return fail(b.error());
    // Rotated files are kept as they are: saying "compressed" would be a lie.
    if (*b) return fail(ErrorKind::Invalid, "compress is not supported by berth's " + c.type + " log driver");
  }
  return {};
}

// The cri driver's one option: where the kubelet wants the file.
Result<> check_cri(const LogConfig& c) {
  for (auto& [k, v] : c.config)
    if (k != "path") return fail(ErrorKind::Invalid, "unknown log opt '" + k + "' for log driver cri");
  auto it = c.config.find("path");
  if (it == c.config.end() || it->second.empty() || it->second[0] != '/')
    return fail(ErrorKind::Invalid, "log driver cri: path must be an absolute path");
  if (has_dotdot(it->second) || it->second.find('\0') != std::string::npos)
    return fail(ErrorKind::Invalid, "log driver cri: path " + it->second + " must not contain '..' or NUL");
  return {};
}

}  // namespace

Result<int64_t> parse_log_size(std::string_view s) {
  auto bad = [&] { return fail(ErrorKind::Invalid, "invalid size: '" + std::string(s) + "'"); };
  size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0) return bad();
  size_t int_end = i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == frac_start) return bad();
  }
  double num = std::stod(std::string(s.substr(0, i)));
  if (int_end > 15) return bad();
  if (i < s.size() && s[i] == ' ') ++i;
  double mul = 1;
  if (i < s.size()) {
    switch (s[i]) {
      case 'k': case 'K': mul = 1e3; ++i; break;
      case 'm': case 'M': mul = 1e6; ++i; break;
      case 'g': case 'G': mul = 1e9; ++i; break;
      case 't': case 'T': mul = 1e12; ++i; break;
      case 'p': case 'P': mul = 1e15; ++i; break;
      default: break;
    }
  }
  if (i < s.size() && (s[i] == 'i' || s[i] == 'I')) ++i;
  if (i < s.size() && (s[i] == 'b' || s[i] == 'B')) ++i;
  if (i != s.size()) return bad();
  return static_cast<int64_t>(std::llround(num * mul));
}

Result<> validate_log_config(const LogConfig& c) {
  if (c.type == "none") return {};  // dockerd ignores the options of "none"
  BERTH_CHECK(check_mode(c.config), "");
  if (c.type != "json-file" && c.type != "local")
    return fail(ErrorKind::Invalid, "logger: no log driver named '" + c.type + "' is registered");
  static const std::set<std::string> rot = {"max-file", "max-size", "compress"};
  for (auto& [k, v] : c.config) {
    if (rot.count(k) || common_keys().count(k)) continue;
    if (c.type == "json-file") return fail(ErrorKind::Invalid, "unknown log opt '" + k + "' for json-file log driver");
    return fail(ErrorKind::Invalid, "unknown log opt '" + k + "' for log driver local");
  }
  return check_rotation(c);
}

Result<LogConfig> resolve_log_config(const json& request, const std::string& daemon_driver,
                                     const std::map<std::string, std::string>& daemon_opts, bool allow_cri) {
  LogConfig c;
  c.type = "";
  if (!request.is_null()) {
    if (!request.is_object()) return fail(ErrorKind::Invalid, "HostConfig.LogConfig: expected an object");
    if (auto t = request.find("Type"); t != request.end() && !t->is_null()) {
      if (!t->is_string()) return fail(ErrorKind::Invalid, "HostConfig.LogConfig.Type: expected a string");
      c.type = t->get<std::string>();
    }
    if (auto o = request.find("Config"); o != request.end() && !o->is_null()) {
      if (!o->is_object()) return fail(ErrorKind::Invalid, "HostConfig.LogConfig.Config: expected an object");
      for (auto& [k, v] : o->items()) {
        if (!v.is_string()) return fail(ErrorKind::Invalid, "HostConfig.LogConfig.Config." + k + ": expected a string");
        c.config[k] = v.get<std::string>();
      }
    }
  }
  if (allow_cri && c.type == kCriLogDriver) {
    BERTH_CHECK(check_cri(c), "");
    return c;
  }
  if (c.type.empty()) c.type = daemon_driver;
  if (c.type == daemon_driver)
    for (auto& [k, v] : daemon_opts) c.config.emplace(k, v);
  if (c.type == "json-file") {
    c.config.emplace("max-size", kJsonDefaultSize);
    c.config.emplace("max-file", kJsonDefaultFiles);
  } else if (c.type == "local") {
    c.config.emplace("max-size", kLocalDefaultSize);
    c.config.emplace("max-file", kLocalDefaultFiles);
  }
  BERTH_CHECK(validate_log_config(c), "");
  return c;
}

Rotation rotation_of(const LogConfig& c) {
  bool local = c.type == "local";
  auto get = [&](const char* k, const char* def) {
    auto it = c.config.find(k);
    return it == c.config.end() ? std::string(def) : it->second;
  };
  Rotation r;
  auto size = get("max-size", local ? kLocalDefaultSize : kJsonDefaultSize);
  r.max_size = size == "-1" ? -1 : parse_log_size(size).value_or(-1);
  r.max_file = static_cast<int>(parse_int(get("max-file", local ? kLocalDefaultFiles : kJsonDefaultFiles)).value_or(1));
  if (r.max_file < 1) r.max_file = 1;
  return r;
}

std::optional<LogFile> log_file_for(const LogConfig& c, const std::string& container_dir, const std::string& id) {
  if (c.type == "json-file") return LogFile{LogFormat::JsonFile, path_join(container_dir, id + "-json.log")};
  // dockerd's place for the local driver's files.
  if (c.type == "local") return LogFile{LogFormat::Local, path_join(path_join(container_dir, "local-logs"), "container.log")};
  if (c.type == kCriLogDriver)
    if (auto it = c.config.find("path"); it != c.config.end() && !it->second.empty()) return LogFile{LogFormat::Cri, it->second};
  return std::nullopt;
}

json log_config_json(const LogConfig& c) {
  json cfg = json::object();
  for (auto& [k, v] : c.config) cfg[k] = v;
  return {{"Type", c.type}, {"Config", cfg}};
}

LogConfig log_config_from_json(const json& j) {
  LogConfig c;
  if (!j.is_object()) return c;
  if (auto t = j.find("Type"); t != j.end() && t->is_string() && !t->get<std::string>().empty()) c.type = *t;
  if (auto o = j.find("Config"); o != j.end() && o->is_object())
    for (auto& [k, v] : o->items())
      if (v.is_string()) c.config[k] = v.get<std::string>();
  return c;
}

}  // namespace berth::engine
