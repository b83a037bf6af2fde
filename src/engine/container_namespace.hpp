// Containers that belong to another client of the engine than the Docker API (the CRI's pods,
// in "k8s.io") carry their namespace as a label: the Docker API's lists leave them out unless
// a label filter asks for that label (`berth ps --namespace k8s.io`), and prune leaves them be.
#pragma once
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace berth::engine {

inline constexpr const char* kNamespaceLabel = "io.berth.namespace";

// The namespace in a container's Labels object; "" for the Docker API's own containers.
inline std::string container_namespace(const nlohmann::json& labels) {
  if (!labels.is_object() || !labels.contains(kNamespaceLabel) || !labels[kNamespaceLabel].is_string()) return "";
  return labels[kNamespaceLabel].get<std::string>();
}

// Whether a list's or prune's "label" filter values ("k", "k=v") name the namespace label:
// only then are other namespaces' containers in it.
inline bool namespace_asked(const std::set<std::string>& label_filters) {
  return std::ranges::any_of(label_filters, [](const std::string& l) {
    return l == kNamespaceLabel || l.starts_with(std::string(kNamespaceLabel) + "=");
  });
}

}  // namespace berth::engine
