// The CRI's stats messages from the engine's samples (ContainerService::stats_sample, the
// numbers docker stats shows): a container's cpu, memory and writable layer; a pod's cpu,
// memory and process count summed over its pause and its running containers (berth gives a
// pod no cgroup of its own), and the interfaces of its network namespace.
#pragma once
#include <vector>

#include "cri/api.pb.h"
#include "cri/cri_record.hpp"

namespace berth::cri {

// A stopped container: its attributes and writable layer only.
void fill_container_stats(engine::Daemon& d, const CriContainerRecord& r, ::runtime::v1::ContainerStats* out);

// containers: the pod's running ones. A pod that is not ready: its attributes only.
void fill_pod_stats(engine::Daemon& d, const SandboxRecord& sb, const std::vector<CriContainerRecord>& containers,
                    ::runtime::v1::PodSandboxStats* out);

}  // namespace berth::cri
