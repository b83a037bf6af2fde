// A CRI ContainerConfig as the engine's create body (the Docker API's, so the engine's own
// checks and spec building apply): command and args as Entrypoint and Cmd, env, working dir,
// mounts with propagation, devices, resources, the security context, and its namespaces
// joined to the sandbox's (network, uts, ipc and, in POD mode, pid), and the kubelet's log
// file (container_log_path.hpp) as the cri log driver. Errors name the field.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "cri/api.pb.h"

namespace berth::cri {

struct PodContext {
  std::string sandbox_id;
  ::runtime::v1::PodSandboxConfig config;  // as the sandbox was made
  std::string image;                       // the image as the engine store names it
  int own_oom_score_adj = 0;               // berthd's: never asked below it
};

struct ContainerBody {
  nlohmann::json body;
  std::string name;  // k8s_<container>_<pod>_<namespace>_<uid>_<attempt>
  // The container whose uts namespace (the pod's hostname) it joins: the sandbox, unless the
  // pod is on the node's (engine::CreateOptions::uts_container).
  std::string uts_container;
};

Result<ContainerBody> container_body(const ::runtime::v1::ContainerConfig& config, const PodContext& pod);

// LinuxContainerResources as HostConfig's resource fields (create and update alike).
nlohmann::json resources_json(const ::runtime::v1::LinuxContainerResources& r, int own_oom_score_adj);

}  // namespace berth::cri
