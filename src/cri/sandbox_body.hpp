// A PodSandboxConfig as the engine's create body for the sandbox's pause container: berth-pause
// as pid 1 in an empty read-only root of its own (no image), its own ipc (shareable: the pod's
// containers join it) and uts namespaces with the pod's hostname, a pid namespace unless NODE,
// the pod's DNS settings for its resolv.conf, its cgroup parent and sysctls. Checked here:
// errors name the field.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "cri/api.pb.h"

namespace berth::cri {

inline constexpr const char* kPauseImageName = "berth-pause";  // what the pause container shows as its image

struct SandboxBody {
  nlohmann::json body;
  std::string name;       // k8s_POD_<name>_<namespace>_<uid>_<attempt>, unique per attempt
  bool host_network = false;
};

// pause: the host's berth-pause binary. own_oom_score_adj: berthd's (never asked below it).
Result<SandboxBody> sandbox_body(const ::runtime::v1::PodSandboxConfig& config, const std::string& pause,
                                 int own_oom_score_adj);

// A Docker container name made of the CRI's parts (k8s_..._attempt); parts must be valid name
// characters ([a-zA-Z0-9_.-]): this also keeps ';' and '=' out of the plugins' CNI_ARGS.
Result<std::string> cri_name(std::initializer_list<std::string> parts, uint32_t attempt);

}  // namespace berth::cri
