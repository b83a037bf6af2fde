#include "network/cni_config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "common/fs.hpp"
#include "common/json_util.hpp"

namespace berth::network {

namespace {

// A config is an administrator's small file; anything this large is not one.
constexpr off_t kMaxConfigBytes = 1 << 20;

constexpr std::string_view kVersions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0"};

Error invalid(const std::string& source, std::string_view field, std::string_view why) {
  std::string where = source.empty() ? "cni config" : "cni config " + source;
  return make_error(ErrorKind::Invalid, where + ": " + std::string(field) + ": " + std::string(why));
}

// The spec's network name: an alphanumeric, then alphanumerics, '_', '.' or '-'.
bool valid_network_name(std::string_view s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

// The plugin is looked up by this name in the plugin directories: a path ("../x", "/bin/sh")
// would run something outside them.
Result<> check_plugin_type(std::string_view type) {
  if (type.empty()) return fail(ErrorKind::Invalid, "must not be empty");
  if (type == "." || type == "..") return fail(ErrorKind::Invalid, "\"" + std::string(type) + "\" is not a plugin name");
  for (char c : type)
    if (c == '/' || c == '\0' || static_cast<unsigned char>(c) < 0x20)
      return fail(ErrorKind::Invalid, "\"" + std::string(type) + "\" must be a plain file name (no '/' or control characters)");
  return {};
}

Result<CniPluginConf> parse_plugin(const nlohmann::json& p, const std::string& source, const std::string& field) {
  if (!p.is_object()) return fail(invalid(source, field, std::string("expected object, got ") + p.type_name()));
  CniPluginConf out;
  auto t = p.find("type");
  if (t == p.end()) return fail(invalid(source, field + ".type", "missing"));
  if (!t->is_string()) return fail(invalid(source, field + ".type", std::string("expected string, got ") + t->type_name()));
  out.type = t->get<std::string>();
  if (auto r = check_plugin_type(out.type); !r) return fail(invalid(source, field + ".type", r.error().message));
  if (auto c = p.find("capabilities"); c != p.end() && !c->is_null()) {
    if (!c->is_object()) return fail(invalid(source, field + ".capabilities", std::string("expected object, got ") + c->type_name()));
    for (const auto& [k, v] : c->items()) {
      if (!v.is_boolean())
        return fail(invalid(source, field + ".capabilities." + k, std::string("expected boolean, got ") + v.type_name()));
      if (v.get<bool>()) out.capabilities.push_back(k);
    }
  }
  out.conf = p;
  return out;
}

Result<> parse_header(const nlohmann::json& j, const std::string& source, CniNetworkList& out) {
  auto n = j.find("name");
  if (n == j.end()) return fail(invalid(source, "name", "missing"));
  if (!n->is_string()) return fail(invalid(source, "name", std::string("expected string, got ") + n->type_name()));
  out.name = n->get<std::string>();
  if (!valid_network_name(out.name))
    return fail(invalid(source, "name", "\"" + out.name + "\" must start with a letter or digit, followed by letters, digits, '_', '.' or '-'"));
  auto v = j.find("cniVersion");
  if (v == j.end()) return fail(invalid(source, "cniVersion", "missing"));
  if (!v->is_string()) return fail(invalid(source, "cniVersion", std::string("expected string, got ") + v->type_name()));
  out.cni_version = v->get<std::string>();
  if (!cni_version_supported(out.cni_version))
    return fail(invalid(source, "cniVersion", "\"" + out.cni_version + "\" is not supported (0.3.0, 0.3.1, 0.4.0, 1.0.0 are)"));
  if (auto d = j.find("disableCheck"); d != j.end() && !d->is_null()) {
    // The spec writes it as a string; libcni reads a boolean: both are accepted.
    if (d->is_boolean()) out.disable_check = d->get<bool>();
    else if (d->is_string() && (*d == "true" || *d == "false")) out.disable_check = *d == "true";
    else return fail(invalid(source, "disableCheck", "expected true or false"));
  }
  out.source = source;
  return {};
}

Result<nlohmann::json> parse_object(std::string_view text, const std::string& source) {
  auto j = parse_json(text, source.empty() ? "cni config" : "cni config " + source);
  if (!j) return fail(j.error());
  if (!j->is_object()) return fail(invalid(source, "top level", std::string("expected object, got ") + j->type_name()));
  return j;
}

}  // namespace

bool cni_version_supported(std::string_view version) {
  return std::find(std::begin(kVersions), std::end(kVersions), version) != std::end(kVersions);
}

bool cni_version_has_check(std::string_view version) { return version == "0.4.0" || version == "1.0.0"; }

Result<CniNetworkList> parse_cni_conflist(std::string_view text, const std::string& source) {
  auto j = parse_object(text, source);
  if (!j) return fail(j.error());
  CniNetworkList out;
  if (auto r = parse_header(*j, source, out); !r) return fail(r.error());
  auto ps = j->find("plugins");
  if (ps == j->end()) return fail(invalid(source, "plugins", "missing"));
  if (!ps->is_array()) return fail(invalid(source, "plugins", std::string("expected array, got ") + ps->type_name()));
  if (ps->empty()) return fail(invalid(source, "plugins", "the list is empty"));
  for (size_t i = 0; i < ps->size(); ++i) {
    auto p = parse_plugin((*ps)[i], source, "plugins[" + std::to_string(i) + "]");
    if (!p) return fail(p.error());
    out.plugins.push_back(std::move(*p));
  }
  return out;
}

nlohmann::json cni_conflist_json(const CniNetworkList& list) {
  nlohmann::json plugins = nlohmann::json::array();
  for (const auto& p : list.plugins) plugins.push_back(p.conf);
  return {{"cniVersion", list.cni_version},
          {"name", list.name},
          {"disableCheck", list.disable_check},
          {"plugins", std::move(plugins)}};
}

Result<CniNetworkList> parse_cni_conf(std::string_view text, const std::string& source) {
  auto j = parse_object(text, source);
  if (!j) return fail(j.error());
  // A list put in a .conf file is a mistake the runtimes refuse too (it has no "type").
  if (j->contains("plugins") && !j->contains("type"))
    return fail(invalid(source, "type", "missing (a list with \"plugins\" belongs in a .conflist file)"));
  CniNetworkList out;
  if (auto r = parse_header(*j, source, out); !r) return fail(r.error());
  auto p = parse_plugin(*j, source, "plugin");
  if (!p) return fail(p.error());
  out.plugins.push_back(std::move(*p));
  return out;
}

CniNetworkList cni_loopback_network() {
  CniPluginConf lo{"loopback", {{"type", "loopback"}}, {}};
  return {"cni-loopback", "1.0.0", false, {std::move(lo)}, ""};
}

Result<CniNetworkList> load_cni_config(const std::string& dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto ext = it->path().extension().string();
    if ((ext == ".conflist" || ext == ".conf" || ext == ".json") && it->is_regular_file(ec))
      files.push_back(it->path().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail(make_error(ErrorKind::Internal, "read cni config dir " + dir + ": " + ec.message()));
  if (files.empty()) return fail(ErrorKind::NotFound, "no network config found in " + dir);
  std::sort(files.begin(), files.end());
  const std::string& file = files.front();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return fail_sys("stat " + file);
  if (st.st_size > kMaxConfigBytes)
    return fail(ErrorKind::Invalid, "cni config " + file + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes");
  auto text = read_file(file);
  if (!text) return fail(text.error());
  return file.ends_with(".conflist") ? parse_cni_conflist(*text, file) : parse_cni_conf(*text, file);
}

}  // namespace berth::network
