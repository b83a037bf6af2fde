#include "engine/daemon_config.hpp"

#include <arpa/inet.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "engine/log_config.hpp"

namespace berth::engine {

using nlohmann::json;

std::vector<std::string> DaemonConfig::effective_hosts() const {
  if (!hosts.empty()) return hosts;
  return {"unix://" + path_join(exec_root, "berthd.sock")};
}

std::string DaemonConfig::effective_pidfile() const {
  return pidfile.empty() ? path_join(exec_root, "berthd.pid") : pidfile;
}

namespace {

Error invalid(const std::string& key, const std::string& why) {
  return make_error(ErrorKind::Invalid, "invalid daemon configuration: " + key + ": " + why);
}

Result<std::string> as_string(const std::string& key, const json& v) {
  if (!v.is_string()) return fail(invalid(key, std::string("expected a string, got ") + v.type_name()));
  return v.get<std::string>();
}

Result<bool> as_bool(const std::string& key, const json& v) {
  if (!v.is_boolean()) return fail(invalid(key, std::string("expected a boolean, got ") + v.type_name()));
  return v.get<bool>();
}

Result<std::vector<std::string>> as_strings(const std::string& key, const json& v) {
  if (!v.is_array()) return fail(invalid(key, std::string("expected an array of strings, got ") + v.type_name()));
  std::vector<std::string> out;
  for (auto& e : v) out.push_back(BERTH_TRY(as_string(key + "[]", e), ""));
  return out;
}

Result<std::map<std::string, std::string>> as_string_map(const std::string& key, const json& v) {
  if (!v.is_object()) return fail(invalid(key, std::string("expected an object, got ") + v.type_name()));
  std::map<std::string, std::string> out;
  for (auto& [k, e] : v.items()) out[k] = BERTH_TRY(as_string(key + "." + k, e), "");
  return out;
}

Result<int64_t> as_int(const std::string& key, const json& v) {
  if (!v.is_number_integer()) return fail(invalid(key, std::string("expected an integer, got ") + v.type_name()));
  return v.get<int64_t>();
}

Result<std::string> one_of(const std::string& key, const json& v, std::initializer_list<const char*> allowed) {
  auto s = BERTH_TRY(as_string(key, v), "");
  std::string list;
  for (auto* a : allowed) {
    if (s == a) return s;
    list += std::string(list.empty() ? "" : ", ") + a;
  }
  return fail(invalid(key, "unsupported value \"" + s + "\" (one of: " + list + ")"));
}

Result<std::map<std::string, Ulimit>> as_ulimits(const std::string& key, const json& v) {
  if (!v.is_object()) return fail(invalid(key, std::string("expected an object, got ") + v.type_name()));
  std::map<std::string, Ulimit> out;
  for (auto& [name, u] : v.items()) {
    std::string k = key + "." + name;
    if (!u.is_object()) return fail(invalid(k, std::string("expected an object, got ") + u.type_name()));
    Ulimit ul{name, 0, 0};
    for (auto& [f, fv] : u.items()) {
      if (f == "Name") {
        ul.name = BERTH_TRY(as_string(k + ".Name", fv), "");
      } else if (f == "Soft") {
        ul.soft = BERTH_TRY(as_int(k + ".Soft", fv), "");
      } else if (f == "Hard") {
        ul.hard = BERTH_TRY(as_int(k + ".Hard", fv), "");
      } else {
        return fail(invalid(k + "." + f, "unknown field"));
      }
    }
    if (ul.soft > ul.hard && ul.hard >= 0) return fail(invalid(k, "soft limit is above the hard limit"));
    out[name] = ul;
  }
  return out;
}

Result<std::map<std::string, RuntimeEntry>> as_runtimes(const std::string& key, const json& v) {
  if (!v.is_object()) return fail(invalid(key, std::string("expected an object, got ") + v.type_name()));
  std::map<std::string, RuntimeEntry> out;
  for (auto& [name, r] : v.items()) {
    std::string k = key + "." + name;
    if (name == "berth") return fail(invalid(k, "\"berth\" is the built-in runtime and cannot be redefined"));
    if (!r.is_object()) return fail(invalid(k, std::string("expected an object, got ") + r.type_name()));
    RuntimeEntry e;
    for (auto& [f, fv] : r.items()) {
      if (f == "path") e.path = BERTH_TRY(as_string(k + ".path", fv), "");
      else if (f == "runtimeArgs") e.args = BERTH_TRY(as_strings(k + ".runtimeArgs", fv), "");
      else return fail(invalid(k + "." + f, "unknown field"));
    }
    if (e.path.empty()) return fail(invalid(k + ".path", "required"));
    out[name] = e;
  }
  return out;
}

Result<std::vector<network::AddressPool>> as_pools(const std::string& key, const json& v) {
  if (!v.is_array()) return fail(invalid(key, std::string("expected an array, got ") + v.type_name()));
  std::vector<network::AddressPool> out;
  for (auto& e : v) {
    if (!e.is_object()) return fail(invalid(key, "each pool is an object with \"base\" and \"size\""));
    for (auto& [f, fv] : e.items())
      if (f != "base" && f != "size") return fail(invalid(key + "." + f, "unknown field"));
    auto base_text = BERTH_TRY(as_string(key + ".base", e.value("base", json())), "");
    auto size = BERTH_TRY(as_int(key + ".size", e.value("size", json())), "");
    auto base = network::Ipv4Prefix::parse(base_text);
    if (!base) return fail(invalid(key + ".base", base.error().message));
    auto pool = network::make_address_pool(*base, static_cast<int>(size));
    if (!pool) return fail(invalid(key + ".size", pool.error().message));
    out.push_back(*pool);
  }
  return out;
}

// "http://127.0.0.1:5000" or "https://mirror.example/v2-prefix": a scheme, a host, no query.
Result<std::string> as_mirror_url(const std::string& key, const json& v) {
  auto u = BERTH_TRY(as_string(key, v), "");
  auto scheme_end = u.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : u.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https")
    return fail(invalid(key, "\"" + u + "\" is not a mirror URL: it must start with http:// or https://"));
  std::string rest = u.substr(scheme_end + 3);
  if (rest.empty() || rest[0] == '/' || rest.find_first_of(" ?#@") != std::string::npos)
    return fail(invalid(key, "\"" + u + "\" is not a mirror URL: expected scheme://host[:port][/path]"));
  while (u.ends_with("/")) u.pop_back();
  return u;
}

// "cri": {"socket": "/run/berth/cri.sock", "registry-mirrors": {"docker.io": ["http://..."]},
//         "cni-conf-dir": "/etc/cni/net.d", "cni-bin-dir": "/usr/lib/cni",
//         "stream-address": "127.0.0.1", "stream-port": 10010}.
// Only the members present are set, so --cri-socket and the file's other members combine.
Result<> apply_cri(DaemonConfig& c, const std::string& key, const json& v) {
  if (!v.is_object()) return fail(invalid(key, std::string("expected an object, got ") + v.type_name()));
  for (auto& [f, fv] : v.items()) {
    std::string k = key + "." + f;
    if (f == "socket") {
      c.cri.socket = BERTH_TRY(as_string(k, fv), "");
      if (c.cri.socket.empty() || c.cri.socket[0] != '/') return fail(invalid(k, "must be an absolute path"));
      if (c.cri.socket.size() > 107) return fail(invalid(k, "longer than a unix socket path can be (107 bytes)"));
    } else if (f == "registry-mirrors") {
      if (!fv.is_object())
        return fail(invalid(k, std::string("expected an object of registry -> [mirror URLs], got ") + fv.type_name()));
      std::map<std::string, std::vector<std::string>> mirrors;
      for (auto& [domain, urls] : fv.items()) {
        std::string dk = k + "." + domain;
        if (domain.empty() || domain.find_first_of("/ @") != std::string::npos)
          return fail(invalid(dk, "a registry is a host name with an optional port, such as docker.io or registry.k8s.io"));
        if (!urls.is_array()) return fail(invalid(dk, std::string("expected an array of mirror URLs, got ") + urls.type_name()));
        for (auto& u : urls) mirrors[domain].push_back(BERTH_TRY(as_mirror_url(dk + "[]", u), ""));
      }
      c.cri.registry_mirrors = std::move(mirrors);
    } else if (f == "cni-conf-dir" || f == "cni-bin-dir") {
      auto dir = BERTH_TRY(as_string(k, fv), "");
      if (dir.empty() || dir[0] != '/') return fail(invalid(k, "must be an absolute path"));
      (f == "cni-conf-dir" ? c.cri.cni_conf_dir : c.cri.cni_bin_dir) = dir;
    } else if (f == "stream-address") {
      auto addr = BERTH_TRY(as_string(k, fv), "");
      in_addr parsed{};
      // The server listens on IPv4 only; a host name would be resolved behind the kubelet's back.
      if (inet_pton(AF_INET, addr.c_str(), &parsed) != 1)
        return fail(invalid(k, "\"" + addr + "\" is not an IPv4 address"));
      c.cri.stream_address = addr;
    } else if (f == "stream-port") {
      auto port = BERTH_TRY(as_int(k, fv), "");
      if (port < 0 || port > 65535)
        return fail(invalid(k, std::to_string(port) + " is not a port (0 to 65535; 0: any free one)"));
      c.cri.stream_port = static_cast<uint16_t>(port);
    } else {
      return fail(invalid(k, "unknown field"));
    }
  }
  return {};
}

// One setter per accepted key: it checks the value's type and stores it.
using Setter = std::function<Result<>(DaemonConfig&, const std::string&, const json&)>;

template <class F>
Setter field(F DaemonConfig::*member, Result<F> (*conv)(const std::string&, const json&)) {
  return [member, conv](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
    c.*member = BERTH_TRY(conv(k, v), "");
    return {};
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> s = {
      {"data-root", field(&DaemonConfig::data_root, as_string)},
      {"exec-root", field(&DaemonConfig::exec_root, as_string)},
      {"hosts", field(&DaemonConfig::hosts, as_strings)},
      {"pidfile", field(&DaemonConfig::pidfile, as_string)},
      {"group", field(&DaemonConfig::group, as_string)},
      {"debug", field(&DaemonConfig::debug, as_bool)},
      {"log-level",
       [](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
         c.log_level = BERTH_TRY(one_of(k, v, {"debug", "info", "warn", "error", "fatal"}), "");
         return {};
       }},
      {"log-driver",
       [](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
         c.log_driver = BERTH_TRY(one_of(k, v, {"json-file", "local", "none"}), "");
         return {};
       }},
      {"log-opts", field(&DaemonConfig::log_opts, as_string_map)},
      {"default-ulimits", field(&DaemonConfig::default_ulimits, as_ulimits)},
      {"default-runtime", field(&DaemonConfig::default_runtime, as_string)},
      {"runtimes", field(&DaemonConfig::runtimes, as_runtimes)},
      {"live-restore", field(&DaemonConfig::live_restore, as_bool)},
      {"insecure-registries", field(&DaemonConfig::insecure_registries, as_strings)},
      {"registry-mirrors", field(&DaemonConfig::registry_mirrors, as_strings)},
      {"storage-driver",
       [](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
         auto s = BERTH_TRY(as_string(k, v), "");
         if (s != "overlay2")
           return fail(invalid(k, "storage driver \"" + s + "\" is not supported: berth stores images and "
                                  "containers on overlay2 only"));
         c.storage_driver = s;
         return {};
       }},
      {"init", field(&DaemonConfig::init, as_bool)},
      {"init-path", field(&DaemonConfig::init_path, as_string)},
      {"tls", field(&DaemonConfig::tls, as_bool)},
      {"tlsverify", field(&DaemonConfig::tlsverify, as_bool)},
      {"tlscacert", field(&DaemonConfig::tlscacert, as_string)},
      {"tlscert", field(&DaemonConfig::tlscert, as_string)},
      {"tlskey", field(&DaemonConfig::tlskey, as_string)},
      {"bridge", field(&DaemonConfig::bridge, as_string)},
      {"bip",
       [](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
         c.bip = BERTH_TRY(as_string(k, v), "");
         // "gateway/len": the prefix of gateway/len must parse once the host bits are cleared.
         auto slash = c.bip.find('/');
         auto gw = network::Ipv4::parse(c.bip.substr(0, slash));
         int len = -1;
         if (slash != std::string::npos) {
           try {
             len = std::stoi(c.bip.substr(slash + 1));
           } catch (...) {
           }
         }
         if (!gw || len < 1 || len > 30 || c.bip.substr(slash + 1) != std::to_string(len))
           return fail(invalid(k, "expected an address with a prefix length such as 172.20.0.1/16, got \"" + c.bip + "\""));
         return {};
       }},
      {"mtu",
       [](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
         auto m = BERTH_TRY(as_int(k, v), "");
         if (m < 68 || m > 65535) return fail(invalid(k, "must be between 68 and 65535"));
         c.mtu = static_cast<unsigned>(m);
         return {};
       }},
      {"default-address-pools", field(&DaemonConfig::default_address_pools, as_pools)},
      {"cri", apply_cri},
      {"userns-remap", field(&DaemonConfig::userns_remap, as_string)},
      {"resolv-conf",
       [](DaemonConfig& c, const std::string& k, const json& v) -> Result<> {
         c.resolv_conf = BERTH_TRY(as_string(k, v), "");
         if (c.resolv_conf.empty() || c.resolv_conf[0] != '/') return fail(invalid(k, "must be an absolute path"));
         return {};
       }},
  };
  return s;
}

Result<> apply_keys(DaemonConfig& c, const json& obj) {
  for (auto& [k, v] : obj.items()) {
    auto it = setters().find(k);
    if (it == setters().end()) return fail(invalid(k, "unknown configuration key"));
    BERTH_CHECK(it->second(c, k, v), "");
  }
  return {};
}

Result<> validate(const DaemonConfig& c) {
  if (c.data_root.empty() || c.data_root[0] != '/') return fail(invalid("data-root", "must be an absolute path"));
  if (c.exec_root.empty() || c.exec_root[0] != '/') return fail(invalid("exec-root", "must be an absolute path"));
  if (c.bridge.empty() || c.bridge.size() > 15) return fail(invalid("bridge", "a link name of 1 to 15 characters"));
  if (c.default_runtime != "berth" && !c.runtimes.count(c.default_runtime))
    return fail(invalid("default-runtime", "runtime \"" + c.default_runtime + "\" is not defined in \"runtimes\""));
  // The daemon's default log driver and opts are checked as a container's would be.
  if (auto r = validate_log_config(LogConfig{c.log_driver, c.log_opts}); !r) return fail(invalid("log-opts", r.error().what()));
  return {};
}

}  // namespace

Result<DaemonConfig> load_daemon_config(std::string_view file_text, const json& flags) {
  json file = json::object();
  if (!trim(file_text).empty()) {
    auto parsed = parse_json(file_text, "daemon configuration");
    if (!parsed) return fail(parsed.error());
    if (!parsed->is_object()) return fail(json_type_error("daemon configuration", "object", *parsed));
    file = std::move(*parsed);
  }
  // dockerd refuses an option given both ways rather than guessing which one wins.
  std::string both;
  auto clash = [&](const std::string& k, const json& flag, const json& in_file) {
    both += (both.empty() ? "" : ", ") + k + ": (from flag: " + flag.dump() + ", from file: " + in_file.dump() + ")";
  };
  for (auto& [k, v] : flags.items()) {
    if (!file.contains(k)) continue;
    if (v.is_object() && file[k].is_object()) {  // "cri": only the members both set
      for (auto& [m, mv] : v.items())
        if (file[k].contains(m)) clash(k + "." + m, mv, file[k][m]);
    } else {
      clash(k, v, file[k]);
    }
  }
  if (!both.empty())
    return fail(ErrorKind::Invalid,
                "the following directives are specified both as a flag and in the configuration file: " + both);
  DaemonConfig c;
  BERTH_CHECK(apply_keys(c, file), "");
  BERTH_CHECK(apply_keys(c, flags), "");
  BERTH_CHECK(validate(c), "");
  return c;
}

Result<std::string> read_daemon_json(const std::string& path, bool required) {
  if (!required && !path_exists(path)) return std::string();
  auto text = read_file(path);
  if (!text) return fail(text.error().wrap("read daemon configuration " + path));
  return text;
}

}  // namespace berth::engine
