#include "cri/pod_network.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;

PodNetwork::PodNetwork(const engine::DaemonConfig& c) : conf_dir_(c.cri.cni_conf_dir) {
  opts_.plugin_dirs = {c.cri.cni_bin_dir};
  opts_.cache_dir = path_join(c.data_root, "cri/cni-results");
}

Result<network::CniNetworkList> PodNetwork::config() const {
  return network::load_cni_config(conf_dir_);
}

Result<network::CniRunner> PodNetwork::runner() const {
  auto net = BERTH_TRY(config(), "CNI config in " + conf_dir_);
  return network::CniRunner(std::move(net), opts_);
}

Result<network::CniRunner> PodNetwork::runner_for(const std::string& sandbox_id, const std::string& ifname) const {
  auto cached = BERTH_TRY(network::CniRunner::from_cache(sandbox_id, ifname, opts_), "");
  if (cached) return std::move(*cached);
  return runner();
}

Result<network::CniAttachment> PodNetwork::attachment(const std::string& sandbox_id, const std::string& netns,
                                                      const v1::PodSandboxConfig& pod) {
  network::CniAttachment a;
  a.container_id = sandbox_id;
  a.netns = netns;
  // IgnoreUnknown: plugins that do not know the K8S_* args accept them anyway.
  a.args = {{"IgnoreUnknown", "1"},
            {"K8S_POD_NAMESPACE", pod.metadata().namespace_()},
            {"K8S_POD_NAME", pod.metadata().name()},
            {"K8S_POD_INFRA_CONTAINER_ID", sandbox_id},
            {"K8S_POD_UID", pod.metadata().uid()}};
  std::vector<network::CniPortMapping> ports;
  for (int i = 0; i < pod.port_mappings_size(); ++i) {
    const auto& p = pod.port_mappings(i);
    std::string where = "config.port_mappings[" + std::to_string(i) + "]";
    if (p.host_port() == 0) continue;  // only a host port needs a mapping (the kubelet sends the rest too)
    if (p.host_port() < 0 || p.host_port() > 65535) return fail(ErrorKind::Invalid, where + ".host_port: out of range");
    if (p.container_port() <= 0 || p.container_port() > 65535)
      return fail(ErrorKind::Invalid, where + ".container_port: out of range");
    network::CniPortMapping m;
    m.host_port = static_cast<uint16_t>(p.host_port());
    m.container_port = static_cast<uint16_t>(p.container_port());
    m.protocol = p.protocol() == v1::UDP ? "udp" : p.protocol() == v1::SCTP ? "sctp" : "tcp";
    m.host_ip = p.host_ip();
    ports.push_back(m);
  }
  if (!ports.empty()) a.capability_args["portMappings"] = network::cni_port_mappings(ports);
  return a;
}

Result<std::vector<std::string>> PodNetwork::attach(const std::string& sandbox_id, const std::string& netns,
                                                    const v1::PodSandboxConfig& pod) const {
  auto a = BERTH_TRY(attachment(sandbox_id, netns, pod), "");
  auto r = BERTH_TRY(runner(), "");
  auto result = BERTH_TRY(r.add(a), "set up the pod's network (" + r.network().name + ")");
  return result.sandbox_ips(a.ifname);
}

Result<> PodNetwork::detach(const std::string& sandbox_id, const std::string& netns,
                            const v1::PodSandboxConfig& pod) const {
  auto a = BERTH_TRY(attachment(sandbox_id, netns, pod), "");
  auto r = runner_for(sandbox_id, a.ifname);
  // No record of an ADD and no config to run DEL with: nothing was attached that DEL could release.
  if (!r && r.error().kind == ErrorKind::NotFound) return {};
  if (!r) return fail(r.error());
  return r->del(a);
}

std::vector<std::string> PodNetwork::ips(const std::string& sandbox_id, const std::string& netns,
                                         const v1::PodSandboxConfig& pod) const {
  auto a = attachment(sandbox_id, netns, pod);
  if (!a) return {};
  auto r = runner_for(sandbox_id, a->ifname);
  if (!r) return {};
  auto cached = r->cached_result(*a);
  if (!cached || !*cached) return {};
  return (*cached)->sandbox_ips(a->ifname);
}

}  // namespace berth::cri
