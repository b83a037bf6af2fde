// A pod's network through CNI, as the kubelet's runtimes do it: the network config the CRI's
// conf dir holds (read again for every pod, so a config dropped in later is used), the plugins
// from its bin dir, run with the pod's K8S_* args and its port mappings (portmap's
// "portMappings" capability) against the sandbox's pinned network namespace.
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"
#include "cri/api.pb.h"
#include "engine/daemon_config.hpp"
#include "network/cni_runner.hpp"

namespace berth::cri {

class PodNetwork {
 public:
  explicit PodNetwork(const engine::DaemonConfig& c);

  // The network config pods would get now (Status's NetworkReady); NotFound when none.
  Result<network::CniNetworkList> config() const;
  // ADD: the pod's IPs (the sandbox interface's addresses). Nothing is left of a failed one.
  Result<std::vector<std::string>> attach(const std::string& sandbox_id, const std::string& netns,
                                          const ::runtime::v1::PodSandboxConfig& pod) const;
  // DEL: harmless when nothing is attached. It runs with the config ADD used, kept with ADD's
  // result, also when the conf dir's file was removed or replaced since (as libcni's cache).
  Result<> detach(const std::string& sandbox_id, const std::string& netns,
                  const ::runtime::v1::PodSandboxConfig& pod) const;
  // The pod's IPs as the last ADD cached them (whatever the conf dir holds now); empty when it
  // has none.
  std::vector<std::string> ips(const std::string& sandbox_id, const std::string& netns,
                               const ::runtime::v1::PodSandboxConfig& pod) const;

  // The attachment a pod's ADD and DEL run with (args, port mappings, ifname eth0).
  static Result<network::CniAttachment> attachment(const std::string& sandbox_id, const std::string& netns,
                                                   const ::runtime::v1::PodSandboxConfig& pod);

 private:
  Result<network::CniRunner> runner() const;
  // The runner of the network the pod's ADD ran (its cache record), else of the config now.
  Result<network::CniRunner> runner_for(const std::string& sandbox_id, const std::string& ifname) const;
  std::string conf_dir_;
  network::CniOptions opts_;
};

}  // namespace berth::cri
