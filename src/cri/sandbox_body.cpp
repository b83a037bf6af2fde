#include "cri/sandbox_body.hpp"

#include <algorithm>

#include "cri/cri_record.hpp"

namespace berth::cri {

using nlohmann::json;
namespace v1 = ::runtime::v1;

namespace {

// The pause asks for the OOM killer's last pick, as the kubelet's runtimes give it, but never
// below berthd's own score (hosts like these refuse a lower one).
constexpr int kPauseOomScoreAdj = -998;

json strings(const google::protobuf::RepeatedPtrField<std::string>& r) { return json(std::vector<std::string>(r.begin(), r.end())); }

}  // namespace

Result<std::string> cri_name(std::initializer_list<std::string> parts, uint32_t attempt) {
  std::string name = "k8s";
  for (auto& p : parts) {
    if (p.empty() || !std::ranges::all_of(p, [](char ch) {
          return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                 ch == '.' || ch == '-';
        }))
      return fail(ErrorKind::Invalid, "metadata: \"" + p + "\" is not a valid name (letters, digits, '_', '.', '-')");
    name += "_" + p;
  }
  return name + "_" + std::to_string(attempt);
}

Result<SandboxBody> sandbox_body(const v1::PodSandboxConfig& config, const std::string& pause, int own_oom_score_adj) {
  if (!config.has_metadata()) return fail(ErrorKind::Invalid, "config.metadata: required");
  const auto& md = config.metadata();
  if (md.name().empty()) return fail(ErrorKind::Invalid, "config.metadata.name: required");
  if (md.namespace_().empty()) return fail(ErrorKind::Invalid, "config.metadata.namespace: required");
  if (md.uid().empty()) return fail(ErrorKind::Invalid, "config.metadata.uid: required");
  SandboxBody out;
  out.name = BERTH_TRY(cri_name({"POD", md.name(), md.namespace_(), md.uid()}, md.attempt()), "");
  const auto& ns = config.linux().security_context().namespace_options();
  if (ns.network() == v1::TARGET || ns.network() == v1::CONTAINER)
    return fail(ErrorKind::Invalid, "config.linux.security_context.namespace_options.network: a pod's network is POD or NODE");
  if (ns.ipc() == v1::TARGET || ns.ipc() == v1::CONTAINER)
    return fail(ErrorKind::Invalid, "config.linux.security_context.namespace_options.ipc: a pod's ipc is POD or NODE");
  if (ns.pid() == v1::TARGET)
    return fail(ErrorKind::Invalid, "config.linux.security_context.namespace_options.pid: TARGET is for containers");
  out.host_network = ns.network() == v1::NODE;
  if (!out.host_network && config.hostname().empty())
    return fail(ErrorKind::Invalid, "config.hostname: required unless the pod uses the node's network");

  json hc = {
      {"NetworkMode", out.host_network ? "host" : "none"},
      {"IpcMode", ns.ipc() == v1::NODE ? "host" : "shareable"},
      {"ReadonlyRootfs", true},
      {"Binds", {pause + ":/pause:ro"}},
      // pause needs no privilege at all.
      {"CapDrop", {"ALL"}},
      {"SecurityOpt", {"no-new-privileges"}},
      {"OomScoreAdj", std::max(kPauseOomScoreAdj, own_oom_score_adj)},
      {"LogConfig", {{"Type", "none"}}},
  };
  if (ns.pid() == v1::NODE) hc["PidMode"] = "host";
  if (out.host_network) hc["UTSMode"] = "host";
  if (config.has_dns_config()) {
    hc["Dns"] = strings(config.dns_config().servers());
    hc["DnsSearch"] = strings(config.dns_config().searches());
    hc["DnsOptions"] = strings(config.dns_config().options());
  }
  if (!config.linux().cgroup_parent().empty()) hc["CgroupParent"] = config.linux().cgroup_parent();
  if (!config.linux().sysctls().empty()) {
    json s = json::object();
    for (auto& [k, v] : config.linux().sysctls()) s[k] = v;
    hc["Sysctls"] = s;
  }
  out.body = {{"Image", kPauseImageName}, {"Entrypoint", {"/pause"}}, {"Cmd", json::array()},
              {"Labels", sandbox_labels(config)}, {"HostConfig", hc}};
  if (!out.host_network) out.body["Hostname"] = config.hostname();
  return out;
}

}  // namespace berth::cri
