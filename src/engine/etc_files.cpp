#include "engine/etc_files.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <sstream>

#include "common/text.hpp"

namespace berth::engine {

std::string hosts_file(const std::string& hostname, const std::string& domainname,
                       const std::vector<std::string>& own_ips, const std::vector<HostsEntry>& extra) {
  std::string s =
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
  std::string names = domainname.empty() ? hostname : hostname + "." + domainname + " " + hostname;
  for (const auto& e : extra) s += e.ip + "\t" + e.names + "\n";
  for (const auto& ip : own_ips) s += ip + "\t" + names + "\n";
  return s;
}

Result<std::vector<HostsEntry>> extra_hosts(const nlohmann::json& host_config, const std::string& host_gateway) {
  std::vector<HostsEntry> out;
  if (!host_config.is_object() || !host_config.contains("ExtraHosts") || host_config["ExtraHosts"].is_null()) return out;
  const auto& list = host_config["ExtraHosts"];
  if (!list.is_array()) return fail(ErrorKind::Invalid, "HostConfig.ExtraHosts: expected an array of strings");
  for (const auto& item : list) {
    if (!item.is_string()) return fail(ErrorKind::Invalid, "HostConfig.ExtraHosts: expected an array of strings");
    auto entry = item.get<std::string>();
    // "name:ip" or "name=ip"; an IPv6 address has colons of its own, so the first one splits.
    auto sep = entry.find_first_of("=:");
    if (sep == std::string::npos || sep == 0)
      return fail(ErrorKind::Invalid, "bad format for add-host: \"" + entry + "\"");
    std::string name = entry.substr(0, sep), ip = entry.substr(sep + 1);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (ip == "host-gateway") {
      if (host_gateway.empty()) return fail(ErrorKind::Invalid, "unable to derive the IP value for host-gateway");
      ip = host_gateway;
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1)
      return fail(ErrorKind::Invalid, "invalid IP address in add-host: \"" + ip + "\"");
    out.push_back({ip, name});
  }
  return out;
}

namespace {

struct ResolvConf {
  std::vector<std::string> servers, search, options;
};

ResolvConf parse_resolv_conf(const std::string& host_text) {
  ResolvConf r;
  std::istringstream in(host_text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    if (key == "nameserver" && !args.empty()) {
      const auto& ip = args[0];
      if (ip.starts_with("127.") || ip == "::1") continue;
      if (ip.find(':') != std::string::npos) continue;  // no IPv6 in containers yet
      r.servers.push_back(ip);
    } else if (key == "search" || key == "domain") {
      r.search = args;
    } else if (key == "options") {
      r.options.insert(r.options.end(), args.begin(), args.end());
    }
  }
  return r;
}

// "--dns-search ." clears the search list, as with Docker.
std::string search_and_options(const std::vector<std::string>& search, const std::vector<std::string>& options) {
  std::string s;
  if (!search.empty() && !(search.size() == 1 && search[0] == ".")) s += "search " + join(search) + "\n";
  if (!options.empty()) s += "options " + join(options) + "\n";
  return s;
}

}  // namespace

std::string resolv_conf(const std::string& host_text, const DnsSettings& dns) {
  auto [servers, search, options] = parse_resolv_conf(host_text);
  if (!dns.servers.empty()) servers = dns.servers;
  if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};
  if (!dns.search.empty()) search = dns.search;
  if (!dns.options.empty()) options = dns.options;
  std::string s;
  for (const auto& ip : servers) s += "nameserver " + ip + "\n";
  return s + search_and_options(search, options);
}

std::string embedded_resolv_conf(const std::string& host_text, const DnsSettings& dns) {
  auto host = parse_resolv_conf(host_text);
  auto search = dns.search.empty() ? host.search : dns.search;
  auto options = dns.options.empty() ? host.options : dns.options;
  if (std::ranges::none_of(options, [](const std::string& o) { return o.starts_with("ndots:"); }))
    options.insert(options.begin(), "ndots:0");
  return "nameserver 127.0.0.11\n" + search_and_options(search, options);
}

}  // namespace berth::engine
