// RuntimeService's container calls over the engine's container service: a pod's container is
// an engine container made from the create body container_body() builds, joined to its
// sandbox's namespaces; ExecSync runs through the exec service, stats through the cgroup's.
#include <chrono>

#include "common/fs.hpp"
#include "cri/container_body.hpp"
#include "cri/container_log_path.hpp"
#include "cri/cri_record.hpp"
#include "cri/cri_stats.hpp"
#include "cri/grpc_status.hpp"
#include "cri/oom_score.hpp"
#include "cri/runtime_service.hpp"
#include "engine/exit_record.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;
using nlohmann::json;

namespace {

v1::ContainerState state_of(const engine::ContainerRecord& c) {
  if (c.state == "created") return v1::CONTAINER_CREATED;
  if (engine::is_live(c.state) || c.state == "restarting") return v1::CONTAINER_RUNNING;
  if (c.state == "exited" || c.state == "dead") return v1::CONTAINER_EXITED;
  return v1::CONTAINER_UNKNOWN;
}

std::string log_path_of(engine::Daemon& d, const CriContainerRecord& r) {
  auto sb = d.containers().get(r.sandbox_id);
  auto s = sb ? as_sandbox(*sb) : std::nullopt;
  return s ? container_log_path(s->config, r.config).value_or("") : "";
}

}  // namespace

grpc::Status RuntimeService::CreateContainer(grpc::ServerContext*, const v1::CreateContainerRequest* req,
                                             v1::CreateContainerResponse* out) {
  return finish_call("CreateContainer", [&]() -> Result<> {
    auto sbc = d_.containers().find(req->pod_sandbox_id());
    auto sb = sbc ? as_sandbox(*sbc) : std::nullopt;
    if (!sb) return fail(ErrorKind::NotFound, "pod sandbox " + req->pod_sandbox_id() + ": not found");
    if (!engine::is_live(sb->c.state))
      return fail(ErrorKind::Conflict, "pod sandbox " + sb->c.id + " is not ready: its containers cannot be created");
    PodContext pod{sb->c.id, sb->config, req->config().image().image(), own_oom_score_adj()};
    auto cb = BERTH_TRY(container_body(req->config(), pod), "");
    auto created = BERTH_TRY(d_.container_service().create(cb.body, cb.name, {.cri_log = true, .uts_container = cb.uts_container}),
                             "create container in pod " + sb->c.id);
    out->set_container_id(created.id);
    return {};
  }());
}

grpc::Status RuntimeService::StartContainer(grpc::ServerContext*, const v1::StartContainerRequest* req,
                                            v1::StartContainerResponse*) {
  return finish_call("StartContainer", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    if (r.c.state != "created")
      return fail(ErrorKind::Conflict, "container " + r.c.id + " is " + r.c.state + ": only a created container starts");
    return d_.container_service().start(r.c.id);
  }());
}

grpc::Status RuntimeService::StopContainer(grpc::ServerContext*, const v1::StopContainerRequest* req,
                                           v1::StopContainerResponse*) {
  return finish_call("StopContainer", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    if (req->timeout() < 0) return fail(ErrorKind::Invalid, "timeout: negative");
    auto s = d_.container_service().stop(r.c.id, static_cast<int>(std::min<int64_t>(req->timeout(), INT32_MAX)), "");
    if (!s && s.error().kind != ErrorKind::Exists) return s;  // Exists: already stopped
    return {};
  }());
}

grpc::Status RuntimeService::RemoveContainer(grpc::ServerContext*, const v1::RemoveContainerRequest* req,
                                             v1::RemoveContainerResponse*) {
  return finish_call("RemoveContainer", [&]() -> Result<> {
    auto r = find_container(d_, req->container_id());
    if (!r && r.error().kind == ErrorKind::NotFound) return {};
    if (!r) return fail(r.error());
    auto rm = d_.container_service().remove(r->c.id, true);
    if (!rm && rm.error().kind != ErrorKind::NotFound) return rm;
    return {};
  }());
}

grpc::Status RuntimeService::ListContainers(grpc::ServerContext*, const v1::ListContainersRequest* req,
                                            v1::ListContainersResponse* out) {
  return finish_call("ListContainers", [&]() -> Result<> {
    const auto& f = req->filter();
    for (auto& c : BERTH_TRY(d_.containers().list(), "list containers")) {
      auto r = as_container(c);
      if (!r) continue;
      if (!f.id().empty() && !c.id.starts_with(f.id())) continue;
      if (!f.pod_sandbox_id().empty() && !r->sandbox_id.starts_with(f.pod_sandbox_id())) continue;
      if (f.has_state() && f.state().state() != state_of(c)) continue;
      if (!labels_match(r->config.labels(), f.label_selector())) continue;
      auto* item = out->add_containers();
      item->set_id(c.id);
      item->set_pod_sandbox_id(r->sandbox_id);
      *item->mutable_metadata() = r->config.metadata();
      *item->mutable_image() = r->config.image();
      item->set_image_ref(c.image_id);
      item->set_state(state_of(c));
      item->set_created_at(unix_nanos(c.created));
      *item->mutable_labels() = r->config.labels();
      *item->mutable_annotations() = r->config.annotations();
    }
    return {};
  }());
}

grpc::Status RuntimeService::ContainerStatus(grpc::ServerContext*, const v1::ContainerStatusRequest* req,
                                             v1::ContainerStatusResponse* out) {
  return finish_call("ContainerStatus", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    auto* st = out->mutable_status();
    st->set_id(r.c.id);
    *st->mutable_metadata() = r.config.metadata();
    st->set_state(state_of(r.c));
    st->set_created_at(unix_nanos(r.c.created));
    st->set_started_at(unix_nanos(r.c.started));
    if (st->state() == v1::CONTAINER_EXITED) {
      st->set_finished_at(unix_nanos(r.c.finished));
      st->set_exit_code(r.c.exit_code);
      // The last exit as its shim recorded it says whether the OOM killer ended it.
      auto exit_rec = engine::read_exit_record(d_.container_service().container_dir(r.c.id));
      bool oom = exit_rec && exit_rec->oom_killed;
      st->set_reason(oom ? "OOMKilled" : r.c.exit_code == 0 ? "Completed" : "Error");
      st->set_message(r.c.error);
    }
    *st->mutable_image() = r.config.image();
    st->set_image_ref(r.c.image_id);
    *st->mutable_labels() = r.config.labels();
    *st->mutable_annotations() = r.config.annotations();
    *st->mutable_mounts() = r.config.mounts();
    st->set_log_path(log_path_of(d_, r));
    if (req->verbose()) {
      json info = {{"pid", r.c.pid}, {"sandboxID", r.sandbox_id}, {"name", r.c.name.substr(r.c.name.empty() ? 0 : 1)}};
      (*out->mutable_info())["info"] = info.dump();
    }
    return {};
  }());
}

grpc::Status RuntimeService::UpdateContainerResources(grpc::ServerContext*, const v1::UpdateContainerResourcesRequest* req,
                                                      v1::UpdateContainerResourcesResponse*) {
  return finish_call("UpdateContainerResources", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    auto body = resources_json(req->linux(), own_oom_score_adj());
    // The OOM score is a process attribute: the engine's update does not change it.
    body.erase("OomScoreAdj");
    if (body.empty()) return {};
    auto w = BERTH_TRY(d_.container_service().update(r.c.id, body), "update container " + r.c.id);
    (void)w;
    return {};
  }());
}

grpc::Status RuntimeService::ReopenContainerLog(grpc::ServerContext*, const v1::ReopenContainerLogRequest* req,
                                                v1::ReopenContainerLogResponse*) {
  return finish_call("ReopenContainerLog", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    return d_.container_service().reopen_log(r.c.id);
  }());
}

grpc::Status RuntimeService::ExecSync(grpc::ServerContext*, const v1::ExecSyncRequest* req, v1::ExecSyncResponse* out) {
  bool timed_out = false;
  auto st = finish_call("ExecSync", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    if (req->timeout() < 0) return fail(ErrorKind::Invalid, "timeout: negative");
    std::vector<std::string> cmd(req->cmd().begin(), req->cmd().end());
    auto res = BERTH_TRY(d_.exec_service().run_sync(r.c.id, cmd, std::chrono::seconds(req->timeout())),
                         "exec in container " + r.c.id);
    timed_out = res.timed_out;
    out->set_stdout(res.out);
    out->set_stderr(res.err);
    out->set_exit_code(res.exit_code);
    return {};
  }());
  if (st.ok() && timed_out)
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                        "timeout " + std::to_string(req->timeout()) + "s exceeded: the command was killed");
  return st;
}

grpc::Status RuntimeService::ContainerStats(grpc::ServerContext*, const v1::ContainerStatsRequest* req,
                                            v1::ContainerStatsResponse* out) {
  return finish_call("ContainerStats", [&]() -> Result<> {
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    fill_container_stats(d_, r, out->mutable_stats());
    return {};
  }());
}

grpc::Status RuntimeService::ListContainerStats(grpc::ServerContext*, const v1::ListContainerStatsRequest* req,
                                                v1::ListContainerStatsResponse* out) {
  return finish_call("ListContainerStats", [&]() -> Result<> {
    const auto& f = req->filter();
    for (auto& c : BERTH_TRY(d_.containers().list(), "list containers")) {
      auto r = as_container(c);
      if (!r || !engine::is_live(c.state)) continue;
      if (!f.id().empty() && !c.id.starts_with(f.id())) continue;
      if (!f.pod_sandbox_id().empty() && !r->sandbox_id.starts_with(f.pod_sandbox_id())) continue;
      if (!labels_match(r->config.labels(), f.label_selector())) continue;
      fill_container_stats(d_, *r, out->add_stats());
    }
    return {};
  }());
}

}  // namespace berth::cri
