#include "cri/cri_record.hpp"

#include <google/protobuf/util/json_util.h>

#include "engine/container_namespace.hpp"
#include "engine/daemon.hpp"
#include "engine/log_reader.hpp"

namespace berth::cri {

using nlohmann::json;
namespace v1 = ::runtime::v1;

namespace {

std::string to_json_text(const google::protobuf::Message& m) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out);
  return out;
}

json base_labels(const google::protobuf::Map<std::string, std::string>& cri_labels, const char* kind,
                 const google::protobuf::Message& config) {
  json l = json::object();
  for (auto& [k, v] : cri_labels) l[k] = v;
  l[engine::kNamespaceLabel] = kCriNamespace;
  l[kKindLabel] = kind;
  l[kConfigLabel] = to_json_text(config);
  return l;
}

// The container's own Labels as created (merged_config adds the image's, which the CRI config
// does not hold: the config label is what counts).
std::optional<std::pair<json, std::string>> cri_labels_of(const engine::ContainerRecord& c, const char* kind) {
  auto cfg = json::parse(c.config_json, nullptr, false);
  if (!cfg.is_object() || !cfg.contains("Labels") || !cfg["Labels"].is_object()) return std::nullopt;
  const auto& l = cfg["Labels"];
  if (engine::container_namespace(l) != kCriNamespace || l.value(kKindLabel, json()) != kind) return std::nullopt;
  if (!l.value(kConfigLabel, json()).is_string()) return std::nullopt;
  return std::pair{l, l[kConfigLabel].get<std::string>()};
}

}  // namespace

json sandbox_labels(const v1::PodSandboxConfig& config) { return base_labels(config.labels(), "sandbox", config); }

json container_labels(const std::string& sandbox_id, const v1::ContainerConfig& config) {
  auto l = base_labels(config.labels(), "container", config);
  l[kSandboxIdLabel] = sandbox_id;
  return l;
}

std::optional<SandboxRecord> as_sandbox(const engine::ContainerRecord& c) {
  auto found = cri_labels_of(c, "sandbox");
  if (!found) return std::nullopt;
  SandboxRecord r{c, {}};
  if (!google::protobuf::util::JsonStringToMessage(found->second, &r.config).ok()) return std::nullopt;
  return r;
}

std::optional<CriContainerRecord> as_container(const engine::ContainerRecord& c) {
  auto found = cri_labels_of(c, "container");
  if (!found || !found->first.value(kSandboxIdLabel, json()).is_string()) return std::nullopt;
  CriContainerRecord r{c, found->first[kSandboxIdLabel].get<std::string>(), {}};
  if (!google::protobuf::util::JsonStringToMessage(found->second, &r.config).ok()) return std::nullopt;
  return r;
}

bool labels_match(const google::protobuf::Map<std::string, std::string>& labels,
                  const google::protobuf::Map<std::string, std::string>& selector) {
  for (auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

int64_t unix_nanos(const std::string& rfc3339) {
  if (rfc3339.empty()) return 0;
  return engine::log_time_ns(rfc3339).value_or(0);
}

Result<SandboxRecord> find_sandbox(engine::Daemon& d, const std::string& id) {
  if (id.empty()) return fail(ErrorKind::Invalid, "pod_sandbox_id: required");
  auto c = d.containers().find(id);
  if (!c && c.error().kind == ErrorKind::NotFound) return fail(ErrorKind::NotFound, "pod sandbox " + id + ": not found");
  if (!c) return fail(c.error());
  auto s = as_sandbox(*c);
  if (!s) return fail(ErrorKind::NotFound, "pod sandbox " + id + ": not found");
  return *s;
}

Result<CriContainerRecord> find_container(engine::Daemon& d, const std::string& id) {
  if (id.empty()) return fail(ErrorKind::Invalid, "container_id: required");
  auto c = d.containers().find(id);
  if (!c && c.error().kind == ErrorKind::NotFound) return fail(ErrorKind::NotFound, "container " + id + ": not found");
  if (!c) return fail(c.error());
  auto r = as_container(*c);
  if (!r) return fail(ErrorKind::NotFound, "container " + id + ": not found");
  return *r;
}

}  // namespace berth::cri
