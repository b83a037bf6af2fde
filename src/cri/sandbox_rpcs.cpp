// RuntimeService's pod sandbox calls: a pod is a pause container (sandbox_body.hpp) in a
// network namespace that berth pins before anything runs in it, configured by CNI
// (pod_network.hpp), unless the pod uses the node's network; their stats are cri_stats.hpp's.
#include <unistd.h>

#include <map>
#include <vector>

#include "common/log.hpp"
#include "cri/cri_record.hpp"
#include "cri/cri_stats.hpp"
#include "cri/grpc_status.hpp"
#include "cri/oom_score.hpp"
#include "cri/runtime_service.hpp"
#include "cri/sandbox_body.hpp"
#include "engine/pause_binary.hpp"
#include "network/netns.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;
using nlohmann::json;

namespace {

// The pod's containers (their IDs), oldest first.
Result<std::vector<std::string>> pod_containers(engine::Daemon& d, const std::string& sandbox_id) {
  std::vector<std::string> out;
  for (auto& c : BERTH_TRY(d.containers().list(), ""))
    if (auto r = as_container(c); r && r->sandbox_id == sandbox_id) out.push_back(c.id);
  return out;
}

// The running containers of every pod, by sandbox ID, for their stats: one read of the store
// however many pods are asked for.
Result<std::map<std::string, std::vector<CriContainerRecord>>> running_containers(engine::Daemon& d) {
  std::map<std::string, std::vector<CriContainerRecord>> out;
  for (auto& c : BERTH_TRY(d.containers().list(), ""))
    if (auto r = as_container(c); r && engine::is_live(c.state)) out[r->sandbox_id].push_back(std::move(*r));
  return out;
}

v1::PodSandboxState sandbox_state_of(const engine::ContainerRecord& c) {
  return engine::is_live(c.state) ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY;
}

// The sandboxes a list filter selects: ID prefix, labels, and the state unless null.
Result<std::vector<SandboxRecord>> sandboxes_matching(engine::Daemon& d, const std::string& id,
                                                      const google::protobuf::Map<std::string, std::string>& selector,
                                                      const v1::PodSandboxStateValue* state) {
  std::vector<SandboxRecord> out;
  for (auto& c : BERTH_TRY(d.containers().list(), "list pod sandboxes")) {
    auto sb = as_sandbox(c);
    if (!sb || !c.id.starts_with(id) || (state && state->state() != sandbox_state_of(c))) continue;
    if (labels_match(sb->config.labels(), selector)) out.push_back(std::move(*sb));
  }
  return out;
}

}  // namespace

grpc::Status RuntimeService::RunPodSandbox(grpc::ServerContext*, const v1::RunPodSandboxRequest* req,
                                           v1::RunPodSandboxResponse* out) {
  return finish_call("RunPodSandbox", [&]() -> Result<> {
    const auto& config = req->config();
    auto sb = BERTH_TRY(sandbox_body(config, engine::default_pause_path(), own_oom_score_adj()), "");
    if (!req->runtime_handler().empty()) {
      if (!d_.config().runtimes.contains(req->runtime_handler()))
        return fail(ErrorKind::Invalid, "runtime_handler: no runtime named \"" + req->runtime_handler() + "\"");
      sb.body["HostConfig"]["Runtime"] = req->runtime_handler();
    }
    std::lock_guard lk(pods_mu_);
    auto& svc = d_.container_service();
    // The pause's uts namespace is the pod's own, which its containers join.
    engine::CreateOptions opts{.no_image = true, .pinned_netns = !sb.host_network, .uts_container = ""};
    auto created = BERTH_TRY(svc.create(sb.body, sb.name, opts), "create the pod sandbox");
    const std::string& id = created.id;
    std::string netns = d_.networks().netns_path(id);
    bool netns_made = false, attached = false;
    auto undo = [&] {
      if (attached)
        if (auto r = net_.detach(id, netns, config); !r) log::warn("CRI: pod " + id + ": " + r.error().what());
      if (netns_made) (void)network::remove_netns(netns);
      if (auto r = svc.remove(id, true); !r) log::warn("CRI: pod " + id + ": " + r.error().what());
    };
    auto step = [&](Result<> r) -> Result<> {
      if (!r) undo();
      return r;
    };
    if (!sb.host_network) {
      BERTH_CHECK(step(network::create_netns(netns)), "pod sandbox " + id + ": network namespace");
      netns_made = true;
      auto ips = net_.attach(id, netns, config);
      BERTH_CHECK(step(ips ? Result<>() : fail(ips.error())), "pod sandbox " + id);
      attached = true;
    }
    BERTH_CHECK(step(svc.start(id)), "start the pod sandbox " + id);
    out->set_pod_sandbox_id(id);
    return {};
  }());
}

Result<> RuntimeService::stop_pod(const std::string& id) {
  auto sb = BERTH_TRY(find_sandbox(d_, id), "");
  auto& svc = d_.container_service();
  auto stop = [&](const std::string& cid, int timeout) -> Result<> {
    auto r = svc.stop(cid, timeout, "");
    if (!r && r.error().kind != ErrorKind::Exists && r.error().kind != ErrorKind::NotFound) return r;
    return {};
  };
  // Its containers had their grace period from the kubelet's StopContainer: they are killed.
  for (auto& cid : BERTH_TRY(pod_containers(d_, sb.c.id), "")) BERTH_CHECK(stop(cid, 0), "stop pod " + sb.c.id);
  BERTH_CHECK(stop(sb.c.id, 10), "stop pod " + sb.c.id);
  if (!host_network(sb.config)) {
    std::string netns = d_.networks().netns_path(sb.c.id);
    // A pod stopped before has no namespace left: its DEL ran then.
    if (access(netns.c_str(), F_OK) == 0) BERTH_CHECK(net_.detach(sb.c.id, netns, sb.config), "stop pod " + sb.c.id);
    BERTH_CHECK(network::remove_netns(netns), "stop pod " + sb.c.id);
  }
  return {};
}

grpc::Status RuntimeService::StopPodSandbox(grpc::ServerContext*, const v1::StopPodSandboxRequest* req,
                                            v1::StopPodSandboxResponse*) {
  std::lock_guard lk(pods_mu_);
  return finish_call("StopPodSandbox", stop_pod(req->pod_sandbox_id()));
}

grpc::Status RuntimeService::RemovePodSandbox(grpc::ServerContext*, const v1::RemovePodSandboxRequest* req,
                                              v1::RemovePodSandboxResponse*) {
  std::lock_guard lk(pods_mu_);
  return finish_call("RemovePodSandbox", [&]() -> Result<> {
    auto sb = find_sandbox(d_, req->pod_sandbox_id());
    if (!sb && sb.error().kind == ErrorKind::NotFound) return {};
    if (!sb) return fail(sb.error());
    BERTH_CHECK(stop_pod(sb->c.id), "");
    auto& svc = d_.container_service();
    auto remove = [&](const std::string& cid) -> Result<> {
      auto r = svc.remove(cid, true);
      if (!r && r.error().kind != ErrorKind::NotFound) return r;
      return {};
    };
    for (auto& cid : BERTH_TRY(pod_containers(d_, sb->c.id), "")) BERTH_CHECK(remove(cid), "remove pod " + sb->c.id);
    return remove(sb->c.id);
  }());
}

grpc::Status RuntimeService::PodSandboxStatus(grpc::ServerContext*, const v1::PodSandboxStatusRequest* req,
                                              v1::PodSandboxStatusResponse* out) {
  return finish_call("PodSandboxStatus", [&]() -> Result<> {
    auto sb = BERTH_TRY(find_sandbox(d_, req->pod_sandbox_id()), "");
    auto* st = out->mutable_status();
    st->set_id(sb.c.id);
    *st->mutable_metadata() = sb.config.metadata();
    st->set_state(sandbox_state_of(sb.c));
    st->set_created_at(unix_nanos(sb.c.created));
    *st->mutable_labels() = sb.config.labels();
    *st->mutable_annotations() = sb.config.annotations();
    *st->mutable_linux()->mutable_namespaces()->mutable_options() =
        sb.config.linux().security_context().namespace_options();
    auto hc = json::parse(sb.c.host_config_json, nullptr, false);
    if (hc.is_object() && hc.value("Runtime", json()).is_string() && hc["Runtime"] != d_.config().default_runtime)
      st->set_runtime_handler(hc["Runtime"].get<std::string>());
    std::string netns = d_.networks().netns_path(sb.c.id);
    if (!host_network(sb.config) && st->state() == v1::SANDBOX_READY) {
      auto ips = net_.ips(sb.c.id, netns, sb.config);
      for (size_t i = 0; i < ips.size(); ++i) {
        if (i == 0) st->mutable_network()->set_ip(ips[0]);
        else st->mutable_network()->add_additional_ips()->set_ip(ips[i]);
      }
    }
    if (req->verbose()) {
      json info = {{"pid", sb.c.pid}, {"image", kPauseImageName}, {"runtimeSpec", nullptr}};
      if (!host_network(sb.config)) info["netns"] = netns;
      (*out->mutable_info())["info"] = info.dump();
    }
    return {};
  }());
}

grpc::Status RuntimeService::ListPodSandbox(grpc::ServerContext*, const v1::ListPodSandboxRequest* req,
                                            v1::ListPodSandboxResponse* out) {
  return finish_call("ListPodSandbox", [&]() -> Result<> {
    const auto& f = req->filter();
    const v1::PodSandboxStateValue* state = f.has_state() ? &f.state() : nullptr;
    for (auto& sb : BERTH_TRY(sandboxes_matching(d_, f.id(), f.label_selector(), state), "")) {
      auto* item = out->add_items();
      item->set_id(sb.c.id);
      *item->mutable_metadata() = sb.config.metadata();
      item->set_state(sandbox_state_of(sb.c));
      item->set_created_at(unix_nanos(sb.c.created));
      *item->mutable_labels() = sb.config.labels();
      *item->mutable_annotations() = sb.config.annotations();
    }
    return {};
  }());
}

grpc::Status RuntimeService::PodSandboxStats(grpc::ServerContext*, const v1::PodSandboxStatsRequest* req,
                                             v1::PodSandboxStatsResponse* out) {
  return finish_call("PodSandboxStats", [&]() -> Result<> {
    auto sb = BERTH_TRY(find_sandbox(d_, req->pod_sandbox_id()), "");
    auto running = BERTH_TRY(running_containers(d_), "pod stats");
    fill_pod_stats(d_, sb, running[sb.c.id], out->mutable_stats());
    return {};
  }());
}

grpc::Status RuntimeService::ListPodSandboxStats(grpc::ServerContext*, const v1::ListPodSandboxStatsRequest* req,
                                                 v1::ListPodSandboxStatsResponse* out) {
  return finish_call("ListPodSandboxStats", [&]() -> Result<> {
    const auto& f = req->filter();
    v1::PodSandboxStateValue ready;
    ready.set_state(v1::SANDBOX_READY);
    auto running = BERTH_TRY(running_containers(d_), "pod stats");
    for (auto& sb : BERTH_TRY(sandboxes_matching(d_, f.id(), f.label_selector(), &ready), ""))
      fill_pod_stats(d_, sb, running[sb.c.id], out->add_stats());
    return {};
  }());
}

}  // namespace berth::cri
