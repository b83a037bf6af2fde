// A container's network as its create request asks for it (HostConfig.NetworkMode and
// NetworkingConfig.EndpointsConfig): checked at create, recorded as networking.json in the
// container's directory, carried out by each start (network_service.hpp), and shown by
// inspect. Also the spec's side: which network namespace the runtime joins, and the
// /etc/hosts, /etc/hostname and /etc/resolv.conf bind mounts.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/network_service.hpp"
#include "engine/port_bindings.hpp"

namespace berth::engine {

struct NetworkPlan {
  // "bridge": endpoints on bridge networks (the default one, or user-defined ones);
  // "none": a namespace with only lo; "host": the host's; "container": another container's;
  // "pinned": one its owner made at netns_path(id) (a CRI pod sandbox's, see CreateOptions).
  std::string mode = "bridge";
  std::vector<EndpointRequest> endpoints;
  std::string container;  // container mode: the other container's ID
  std::vector<PortRequest> ports;  // published on the first endpoint (bridge mode only)

  nlohmann::json to_json() const;
  static NetworkPlan from_json(const nlohmann::json& j);
};

inline constexpr const char* kNetworkingFile = "networking.json";

// container_id: resolves a name or ID prefix to a container's ID (404 otherwise). exposed: the
// request's and the image's ExposedPorts (for PublishAllPorts).
Result<NetworkPlan> plan_network(const nlohmann::json& host_config, const nlohmann::json& networking_config,
                                 const std::vector<std::string>& exposed, NetworkService& nets,
                                 const std::function<Result<std::string>(std::string_view)>& container_id);

// Edits spec: the network namespace to join (none for host mode) and the /etc file mounts from
// etc_dir (the container's own directory, or in container mode the other one's).
void apply_network_plan(nlohmann::json& spec, const NetworkPlan& p, const std::string& netns_path,
                        const std::string& etc_dir);

}  // namespace berth::engine
