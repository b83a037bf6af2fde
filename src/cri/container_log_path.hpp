// Where a CRI container's log goes: the pod's log_directory (absolute) joined with the
// container's log_path (relative to it), as the kubelet gives them; no log file when either is
// empty. Paths that are not so, or that climb with "..", are refused naming the field.
#pragma once
#include <string>

#include "common/error.hpp"
#include "cri/api.pb.h"

namespace berth::cri {

// "" when the container keeps no CRI log.
Result<std::string> container_log_path(const ::runtime::v1::PodSandboxConfig& pod,
                                       const ::runtime::v1::ContainerConfig& config);

}  // namespace berth::cri
