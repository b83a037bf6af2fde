// Containers that belong to another client of the engine than the Docker API (the CRI's pods,
// in "k8s.io") carry their namespace as a label: the Docker API's lists leave them out unless
// a label filter asks for that label (`berth ps --namespace k8s.io`).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace berth::engine {

inline constexpr const char* kNamespaceLabel = "io.berth.namespace";

// The namespace in a container's Labels object; "" for the Docker API's own containers.
inline std::string container_namespace(const nlohmann::json& labels) {
  if (!labels.is_object() || !labels.contains(kNamespaceLabel) || !labels[kNamespaceLabel].is_string()) return "";
  return labels[kNamespaceLabel].get<std::string>();
}

}  // namespace berth::engine
