#include "cri/container_body.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/fs.hpp"
#include "cri/container_log_path.hpp"
#include "cri/cri_record.hpp"
#include "cri/sandbox_body.hpp"
#include "engine/log_config.hpp"

namespace berth::cri {

using nlohmann::json;
namespace v1 = ::runtime::v1;

namespace {

const char* kSc = "config.linux.security_context";

// The user a security context asks for, as Config.User: "uid", "name", with ":gid" when given.
Result<std::string> user_of(const v1::LinuxContainerSecurityContext& sc) {
  std::string user;
  if (sc.has_run_as_user() && !sc.run_as_username().empty())
    return fail(ErrorKind::Invalid, std::string(kSc) + ": run_as_user and run_as_username are exclusive");
  if (sc.has_run_as_user()) {
    if (sc.run_as_user().value() < 0) return fail(ErrorKind::Invalid, std::string(kSc) + ".run_as_user: negative");
    user = std::to_string(sc.run_as_user().value());
  } else {
    user = sc.run_as_username();
  }
  if (sc.has_run_as_group()) {
    if (user.empty())
      return fail(ErrorKind::Invalid, std::string(kSc) + ".run_as_group: needs run_as_user or run_as_username");
    if (sc.run_as_group().value() < 0) return fail(ErrorKind::Invalid, std::string(kSc) + ".run_as_group: negative");
    user += ":" + std::to_string(sc.run_as_group().value());
  }
  return user;
}

// The seccomp profile as a --security-opt: runtime/default is the engine's default, unconfined
// (and no profile at all, as the CRI defines "") none, localhost/<path> the file's content.
Result<std::optional<std::string>> seccomp_opt(const v1::LinuxContainerSecurityContext& sc) {
  std::string where = std::string(kSc) + ".seccomp";
  std::string localhost;
  if (sc.has_seccomp()) {
    switch (sc.seccomp().profile_type()) {
      case v1::SecurityProfile::RuntimeDefault: return std::optional<std::string>();
      case v1::SecurityProfile::Unconfined: return std::optional<std::string>("seccomp=unconfined");
      case v1::SecurityProfile::Localhost: localhost = sc.seccomp().localhost_ref(); break;
      default: return fail(ErrorKind::Invalid, where + ": unknown profile type");
    }
  } else {
    where = std::string(kSc) + ".seccomp_profile_path";
    const auto& p = sc.seccomp_profile_path();
    if (p == "runtime/default" || p == "docker/default") return std::optional<std::string>();
    if (p.empty() || p == "unconfined") return std::optional<std::string>("seccomp=unconfined");
    if (!p.starts_with("localhost/")) return fail(ErrorKind::Invalid, where + ": unknown profile \"" + p + "\"");
    localhost = p.substr(10);
  }
  if (localhost.empty() || localhost[0] != '/')
    return fail(ErrorKind::Invalid, where + ": a localhost profile is an absolute path on the node");
  auto text = BERTH_TRY(read_file(localhost), where + ": read " + localhost);
  return std::optional<std::string>("seccomp=" + text);
}

}  // namespace

json resources_json(const v1::LinuxContainerResources& r, int own_oom_score_adj) {
  json hc = json::object();
  if (r.cpu_period()) hc["CpuPeriod"] = r.cpu_period();
  if (r.cpu_quota()) hc["CpuQuota"] = r.cpu_quota();
  if (r.cpu_shares()) hc["CpuShares"] = r.cpu_shares();
  if (r.memory_limit_in_bytes()) hc["Memory"] = r.memory_limit_in_bytes();
  if (r.memory_swap_limit_in_bytes()) hc["MemorySwap"] = r.memory_swap_limit_in_bytes();
  if (!r.cpuset_cpus().empty()) hc["CpusetCpus"] = r.cpuset_cpus();
  if (!r.cpuset_mems().empty()) hc["CpusetMems"] = r.cpuset_mems();
  if (r.oom_score_adj()) hc["OomScoreAdj"] = std::max<int64_t>(r.oom_score_adj(), own_oom_score_adj);
  return hc;
}

Result<ContainerBody> container_body(const v1::ContainerConfig& config, const PodContext& pod) {
  if (!config.has_metadata() || config.metadata().name().empty())
    return fail(ErrorKind::Invalid, "config.metadata.name: required");
  if (pod.image.empty()) return fail(ErrorKind::Invalid, "config.image.image: required");
  const auto& md = pod.config.metadata();
  ContainerBody out;
  out.name = BERTH_TRY(cri_name({config.metadata().name(), md.name(), md.namespace_(), md.uid()},
                                config.metadata().attempt()), "");
  const auto& sc = config.linux().security_context();
  const auto& pod_ns = pod.config.linux().security_context().namespace_options();
  const auto& ns = sc.namespace_options();

  json body = {{"Image", pod.image}, {"Labels", container_labels(pod.sandbox_id, config)}};
  if (config.command_size() > 0) {
    body["Entrypoint"] = json(std::vector<std::string>(config.command().begin(), config.command().end()));
    body["Cmd"] = json(std::vector<std::string>(config.args().begin(), config.args().end()));
  } else if (config.args_size() > 0) {
    body["Cmd"] = json(std::vector<std::string>(config.args().begin(), config.args().end()));
  }
  json env = json::array();
  for (auto& kv : config.envs()) {
    if (kv.key().empty() || kv.key().find('=') != std::string::npos)
      return fail(ErrorKind::Invalid, "config.envs: invalid name \"" + kv.key() + "\"");
    env.push_back(kv.key() + "=" + kv.value());
  }
  body["Env"] = env;
  if (!config.working_dir().empty()) body["WorkingDir"] = config.working_dir();
  body["Tty"] = config.tty();
  body["OpenStdin"] = config.stdin();
  body["StdinOnce"] = config.stdin_once();
  body["User"] = BERTH_TRY(user_of(sc), "");
  // The sandbox's uts namespace: what `hostname` says inside is the pod's (shown as Config.Hostname).
  if (pod_ns.network() != v1::NODE) {
    body["Hostname"] = pod.config.hostname();
    out.uts_container = pod.sandbox_id;
  }

  json hc = resources_json(config.linux().resources(), pod.own_oom_score_adj);
  // The pod's network (its pinned namespace, or the node's through the sandbox) and ipc.
  hc["NetworkMode"] = "container:" + pod.sandbox_id;
  hc["IpcMode"] = pod_ns.ipc() == v1::NODE ? "host" : "container:" + pod.sandbox_id;
  if (pod_ns.network() == v1::NODE) hc["UTSMode"] = "host";
  switch (ns.pid()) {
    case v1::POD:
      hc["PidMode"] = pod_ns.pid() == v1::NODE ? "host" : "container:" + pod.sandbox_id;
      break;
    case v1::NODE: hc["PidMode"] = "host"; break;
    case v1::TARGET:
      if (ns.target_id().empty())
        return fail(ErrorKind::Invalid, std::string(kSc) + ".namespace_options.target_id: required for TARGET");
      hc["PidMode"] = "container:" + ns.target_id();
      break;
    default: break;  // CONTAINER: a pid namespace of its own
  }
  json mounts = json::array();
  for (int i = 0; i < config.mounts_size(); ++i) {
    const auto& m = config.mounts(i);
    std::string where = "config.mounts[" + std::to_string(i) + "]";
    if (m.host_path().empty() || m.host_path()[0] != '/')
      return fail(ErrorKind::Invalid, where + ".host_path: must be an absolute path");
    if (m.container_path().empty() || m.container_path()[0] != '/')
      return fail(ErrorKind::Invalid, where + ".container_path: must be an absolute path");
    if (access(m.host_path().c_str(), F_OK) != 0)
      return fail(ErrorKind::Invalid, where + ".host_path: " + m.host_path() + " does not exist");
    std::string prop = m.propagation() == v1::PROPAGATION_BIDIRECTIONAL      ? "rshared"
                       : m.propagation() == v1::PROPAGATION_HOST_TO_CONTAINER ? "rslave"
                                                                              : "rprivate";
    mounts.push_back({{"Type", "bind"}, {"Source", m.host_path()}, {"Target", m.container_path()},
                      {"ReadOnly", m.readonly()}, {"BindOptions", {{"Propagation", prop}}}});
  }
  hc["Mounts"] = mounts;
  json devices = json::array();
  for (auto& d : config.devices()) {
    if (d.host_path().empty() || d.container_path().empty())
      return fail(ErrorKind::Invalid, "config.devices: host_path and container_path are required");
    devices.push_back({{"PathOnHost", d.host_path()}, {"PathInContainer", d.container_path()},
                       {"CgroupPermissions", d.permissions().empty() ? "rwm" : d.permissions()}});
  }
  hc["Devices"] = devices;
  hc["Privileged"] = sc.privileged();
  if (sc.privileged() && !pod.config.linux().security_context().privileged())
    return fail(ErrorKind::Invalid, std::string(kSc) + ".privileged: the pod sandbox is not privileged");
  hc["ReadonlyRootfs"] = sc.readonly_rootfs();
  json groups = json::array();
  for (auto g : sc.supplemental_groups()) groups.push_back(std::to_string(g));
  hc["GroupAdd"] = groups;
  auto caps = [](const google::protobuf::RepeatedPtrField<std::string>& names) {
    json out = json::array();
    for (auto& n : names) out.push_back(n);
    return out;
  };
  hc["CapAdd"] = caps(sc.capabilities().add_capabilities());
  hc["CapDrop"] = caps(sc.capabilities().drop_capabilities());
  json opts = json::array();
  if (sc.no_new_privs()) opts.push_back("no-new-privileges");
  if (!sc.privileged())
    if (auto s = BERTH_TRY(seccomp_opt(sc), "")) opts.push_back(*s);
  hc["SecurityOpt"] = opts;
  // The CRI gives the lists whole (the kubelet sends the defaults); none given: the engine's.
  if (sc.masked_paths_size() > 0) hc["MaskedPaths"] = caps(sc.masked_paths());
  if (sc.readonly_paths_size() > 0) hc["ReadonlyPaths"] = caps(sc.readonly_paths());
  if (!pod.config.linux().cgroup_parent().empty()) hc["CgroupParent"] = pod.config.linux().cgroup_parent();
  // The kubelet's log file in its format, written by the shim (create with CreateOptions::cri_log).
  if (auto log = BERTH_TRY(container_log_path(pod.config, config), ""); !log.empty())
    hc["LogConfig"] = {{"Type", engine::kCriLogDriver}, {"Config", {{"path", log}}}};
  body["HostConfig"] = hc;
  out.body = std::move(body);
  return out;
}

}  // namespace berth::cri
