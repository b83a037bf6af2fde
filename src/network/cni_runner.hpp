// Attaches a sandbox to a CNI network list and detaches it: ADD runs the plugins in order, each
// given the previous one's result; DEL runs them in reverse with the result ADD cached; CHECK
// verifies with it. Plugins run in the caller's network namespace (the host's, for berthd)
// and configure the sandbox's through CNI_NETNS.
#pragma once
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "network/cni_cache.hpp"
#include "network/cni_config.hpp"
#include "network/cni_exec.hpp"
#include "network/cni_result.hpp"

namespace berth::network {

struct CniPortMapping {
  uint16_t host_port = 0, container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;  // "" for every address
};
// The "portMappings" capability's value, as portmap reads it.
nlohmann::json cni_port_mappings(const std::vector<CniPortMapping>& ports);

struct CniAttachment {
  std::string container_id;
  std::string netns;  // path of the sandbox's network namespace
  std::string ifname = "eth0";
  std::vector<std::pair<std::string, std::string>> args;  // K8S_POD_NAMESPACE, K8S_POD_NAME, ...
  // Capability values by name ("portMappings", "dns", "bandwidth", ...): each plugin gets, in its
  // runtimeConfig, those of them it declared in its "capabilities".
  nlohmann::json capability_args = nlohmann::json::object();
};

struct CniOptions {
  std::vector<std::string> plugin_dirs = {kDefaultCniPluginDir};
  std::string cache_dir = kDefaultCniCacheDir;
  std::chrono::milliseconds plugin_timeout = std::chrono::seconds(60);
};

class CniRunner {
 public:
  CniRunner(CniNetworkList network, CniOptions options)
      : net_(std::move(network)), opts_(std::move(options)), cache_(opts_.cache_dir) {}
  const CniNetworkList& network() const { return net_; }

  // On failure the plugins are run with DEL (in reverse, all of them) before the error returns.
  Result<CniResult> add(const CniAttachment& a) const;
  // Harmless when nothing is attached (again, or after a failed ADD).
  Result<> del(const CniAttachment& a) const;
  // Needs cniVersion 0.4.0 or later and a cached ADD result; a list with disableCheck passes.
  Result<> check(const CniAttachment& a) const;
  // The runner of the network list an attachment's ADD ran, from its cache record: its DEL
  // works after the config file was removed or replaced. nullopt without a record (or with one
  // from before records kept their config).
  static Result<std::optional<CniRunner>> from_cache(const std::string& container_id, const std::string& ifname,
                                                     const CniOptions& options);
  // The result the last ADD cached; nullopt when there is none.
  Result<std::optional<CniResult>> cached_result(const CniAttachment& a) const;

  // The JSON plugin i gets on stdin: its config with the list's name and cniVersion, the
  // runtimeConfig its capabilities select, and prevResult unless null.
  nlohmann::json plugin_stdin(size_t i, const nlohmann::json& capability_args, const nlohmann::json& prev_result) const;

 private:
  Result<std::vector<std::string>> find_plugins() const;
  CniCall call(const std::string& command, const CniAttachment& a) const;
  // Runs plugin i's ADD; its result as JSON in the list's version (the next prevResult) and parsed.
  Result<std::pair<nlohmann::json, CniResult>> add_step(size_t i, const std::string& path, const CniCall& c,
                                                        const nlohmann::json& capability_args,
                                                        const nlohmann::json& prev) const;
  Result<> run_del(const CniAttachment& a, const nlohmann::json& capability_args, const nlohmann::json& prev) const;

  CniNetworkList net_;
  CniOptions opts_;
  CniCache cache_;
};

}  // namespace berth::network
