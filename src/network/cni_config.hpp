// A CNI network configuration list, loaded as the kubelet's runtimes load it: the lexically first
// *.conflist, *.conf or *.json of a directory (a single-plugin .conf becomes a one-entry list),
// checked before any plugin runs. Errors name the file and the field.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::network {

inline constexpr const char* kDefaultCniConfDir = "/etc/cni/net.d";

struct CniPluginConf {
  std::string type;      // the plugin's executable name, a plain file name
  nlohmann::json conf;   // the plugin's object as written (capabilities included)
  // Capabilities the plugin asked for ("portMappings", "dns", ...): only those set to true.
  std::vector<std::string> capabilities;
};

struct CniNetworkList {
  std::string name;
  std::string cni_version;
  bool disable_check = false;
  std::vector<CniPluginConf> plugins;
  std::string source;  // the file it came from ("" when parsed from text)
};

// The versions this runner speaks (Debian's containernetworking-plugins 1.1 speak them all).
bool cni_version_supported(std::string_view version);
// CHECK exists from 0.4.0 on.
bool cni_version_has_check(std::string_view version);

// A .conflist's text. source names it in errors.
Result<CniNetworkList> parse_cni_conflist(std::string_view text, const std::string& source);
// The list as a .conflist's JSON (parse_cni_conflist reads it back): what a cache record keeps.
nlohmann::json cni_conflist_json(const CniNetworkList& list);
// A single plugin's .conf/.json text, wrapped into a list of one.
Result<CniNetworkList> parse_cni_conf(std::string_view text, const std::string& source);
// The list the kubelet's runtimes run besides the configured one, for the sandbox's "lo"
// (name cni-loopback, plugin loopback).
CniNetworkList cni_loopback_network();
// The lexically first config file of dir; NotFound when there is none.
Result<CniNetworkList> load_cni_config(const std::string& dir = kDefaultCniConfDir);

}  // namespace berth::network
