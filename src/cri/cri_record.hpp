// What the CRI keeps on the engine containers it makes: a pod sandbox is a pause container, a
// pod's container an ordinary one, both in the "k8s.io" namespace (engine/container_namespace)
// and labelled with their kind, their sandbox and the CRI config they were made from (as JSON),
// so that status, list and filters read everything back from the container store alone, also
// after a berthd restart.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "cri/api.pb.h"
#include "engine/container_store.hpp"

namespace berth::engine {
class Daemon;
}

namespace berth::cri {

inline constexpr const char* kCriNamespace = "k8s.io";
inline constexpr const char* kKindLabel = "io.berth.cri.kind";            // "sandbox" or "container"
inline constexpr const char* kSandboxIdLabel = "io.berth.cri.sandbox-id";  // a container's pod
inline constexpr const char* kConfigLabel = "io.berth.cri.config";        // the CRI config as JSON

// The Labels of a new sandbox's or container's create body: namespace, kind, sandbox, config,
// and the CRI labels as they are (Docker's label filters see them).
nlohmann::json sandbox_labels(const ::runtime::v1::PodSandboxConfig& config);
nlohmann::json container_labels(const std::string& sandbox_id, const ::runtime::v1::ContainerConfig& config);

// An engine container read back as a CRI object; nullopt when it is not one of that kind.
struct SandboxRecord {
  engine::ContainerRecord c;
  ::runtime::v1::PodSandboxConfig config;
};
struct CriContainerRecord {
  engine::ContainerRecord c;
  std::string sandbox_id;
  ::runtime::v1::ContainerConfig config;
};
std::optional<SandboxRecord> as_sandbox(const engine::ContainerRecord& c);
std::optional<CriContainerRecord> as_container(const engine::ContainerRecord& c);

// A sandbox or a pod's container by ID or unique ID prefix; NotFound for anything else
// (also for a Docker-side container of that ID).
Result<SandboxRecord> find_sandbox(engine::Daemon& d, const std::string& id);
Result<CriContainerRecord> find_container(engine::Daemon& d, const std::string& id);

// The pod uses the node's network (namespace_options.network NODE): no CNI, no pinned netns.
inline bool host_network(const ::runtime::v1::PodSandboxConfig& c) {
  return c.linux().security_context().namespace_options().network() == ::runtime::v1::NODE;
}

// A CRI label selector (all pairs must match).
bool labels_match(const google::protobuf::Map<std::string, std::string>& labels,
                  const google::protobuf::Map<std::string, std::string>& selector);

// RFC 3339 (the store's times) as Unix nanoseconds; 0 for "" (never).
int64_t unix_nanos(const std::string& rfc3339);

}  // namespace berth::cri
