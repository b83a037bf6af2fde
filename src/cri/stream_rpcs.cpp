// RuntimeService's Exec, Attach and PortForward: each checks its target and answers with the URL
// of a single-use session on berthd's streaming server, which the client then connects to.
#include "cri/cri_record.hpp"
#include "cri/grpc_status.hpp"
#include "cri/runtime_service.hpp"
#include "cri/streaming/streaming_server.hpp"
#include "engine/daemon.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;

namespace {

Result<> need_streaming(const streaming::StreamingServer* s) {
  if (!s) return fail(ErrorKind::Unavailable, "the streaming server is not running");
  return {};
}

// Streams go to running containers only, as the kubelet expects of a runtime.
Result<> need_running(const engine::ContainerRecord& c, const std::string& what) {
  if (!engine::is_live(c.state)) return fail(ErrorKind::Conflict, what + " " + c.id + " is not running");
  return {};
}

}  // namespace

grpc::Status RuntimeService::Exec(grpc::ServerContext*, const v1::ExecRequest* req, v1::ExecResponse* out) {
  return finish_call("Exec", [&]() -> Result<> {
    BERTH_CHECK(need_streaming(streams_), "");
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    BERTH_CHECK(need_running(r.c, "container"), "");
    if (req->cmd().empty()) return fail(ErrorKind::Invalid, "cmd: required");
    streaming::ExecRequest e{.container_id = r.c.id,
                             .cmd = {req->cmd().begin(), req->cmd().end()},
                             .tty = req->tty(),
                             .stdin = req->stdin(),
                             .stdout = req->stdout(),
                             .stderr = req->stderr()};
    out->set_url(BERTH_TRY(streams_->get_exec(e), ""));
    return {};
  }());
}

grpc::Status RuntimeService::Attach(grpc::ServerContext*, const v1::AttachRequest* req, v1::AttachResponse* out) {
  return finish_call("Attach", [&]() -> Result<> {
    BERTH_CHECK(need_streaming(streams_), "");
    auto r = BERTH_TRY(find_container(d_, req->container_id()), "");
    BERTH_CHECK(need_running(r.c, "container"), "");
    streaming::AttachRequest a{.container_id = r.c.id,
                               .tty = req->tty(),
                               .stdin = req->stdin(),
                               .stdout = req->stdout(),
                               .stderr = req->stderr()};
    out->set_url(BERTH_TRY(streams_->get_attach(a), ""));
    return {};
  }());
}

grpc::Status RuntimeService::PortForward(grpc::ServerContext*, const v1::PortForwardRequest* req,
                                         v1::PortForwardResponse* out) {
  return finish_call("PortForward", [&]() -> Result<> {
    BERTH_CHECK(need_streaming(streams_), "");
    auto sb = BERTH_TRY(find_sandbox(d_, req->pod_sandbox_id()), "");
    BERTH_CHECK(need_running(sb.c, "pod sandbox"), "");
    for (int port : req->port())
      if (port <= 0 || port > 65535) return fail(ErrorKind::Invalid, "port: " + std::to_string(port) + " is out of range");
    streaming::PortForwardRequest p{.pod_sandbox_id = sb.c.id,
                                    .netns_path = host_network(sb.config) ? "" : d_.networks().netns_path(sb.c.id)};
    out->set_url(BERTH_TRY(streams_->get_port_forward(p), ""));
    return {};
  }());
}

}  // namespace berth::cri
