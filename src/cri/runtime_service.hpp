// runtime.v1.RuntimeService: Version, Status and UpdateRuntimeConfig (runtime_service.cpp), pod
// sandboxes and their stats (sandbox_rpcs.cpp), containers, ExecSync, stats and
// ReopenContainerLog (container_rpcs.cpp), the URLs of the streaming server for Exec, Attach and
// PortForward (stream_rpcs.cpp).
#pragma once
#include <mutex>
#include <string>

#include "cri/api.grpc.pb.h"
#include "cri/pod_network.hpp"
#include "engine/daemon.hpp"

namespace berth::cri {

namespace streaming {
class StreamingServer;
}

class RuntimeService final : public ::runtime::v1::RuntimeService::Service {
 public:
  RuntimeService(engine::Daemon& d, std::string runtime_version)
      : d_(d), version_(std::move(runtime_version)), net_(d.config()) {}

  grpc::Status Version(grpc::ServerContext*, const ::runtime::v1::VersionRequest*,
                       ::runtime::v1::VersionResponse*) override;
  grpc::Status Status(grpc::ServerContext*, const ::runtime::v1::StatusRequest*,
                      ::runtime::v1::StatusResponse*) override;
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext*, const ::runtime::v1::UpdateRuntimeConfigRequest*,
                                   ::runtime::v1::UpdateRuntimeConfigResponse*) override;

  grpc::Status RunPodSandbox(grpc::ServerContext*, const ::runtime::v1::RunPodSandboxRequest*,
                             ::runtime::v1::RunPodSandboxResponse*) override;
  // Stops the pod's containers, then its pause, then takes its network down (CNI DEL and the
  // namespace). Again on a stopped pod: nothing to do.
  grpc::Status StopPodSandbox(grpc::ServerContext*, const ::runtime::v1::StopPodSandboxRequest*,
                              ::runtime::v1::StopPodSandboxResponse*) override;
  // Stops it if needed, removes its containers and itself; a missing pod is not an error.
  grpc::Status RemovePodSandbox(grpc::ServerContext*, const ::runtime::v1::RemovePodSandboxRequest*,
                                ::runtime::v1::RemovePodSandboxResponse*) override;
  grpc::Status PodSandboxStatus(grpc::ServerContext*, const ::runtime::v1::PodSandboxStatusRequest*,
                                ::runtime::v1::PodSandboxStatusResponse*) override;
  grpc::Status ListPodSandbox(grpc::ServerContext*, const ::runtime::v1::ListPodSandboxRequest*,
                              ::runtime::v1::ListPodSandboxResponse*) override;
  // A pod that is not ready has its attributes only; the list holds the ready pods (containerd's).
  grpc::Status PodSandboxStats(grpc::ServerContext*, const ::runtime::v1::PodSandboxStatsRequest*,
                               ::runtime::v1::PodSandboxStatsResponse*) override;
  grpc::Status ListPodSandboxStats(grpc::ServerContext*, const ::runtime::v1::ListPodSandboxStatsRequest*,
                                   ::runtime::v1::ListPodSandboxStatsResponse*) override;

  grpc::Status CreateContainer(grpc::ServerContext*, const ::runtime::v1::CreateContainerRequest*,
                               ::runtime::v1::CreateContainerResponse*) override;
  grpc::Status StartContainer(grpc::ServerContext*, const ::runtime::v1::StartContainerRequest*,
                              ::runtime::v1::StartContainerResponse*) override;
  // Idempotent: an exited container is not an error.
  grpc::Status StopContainer(grpc::ServerContext*, const ::runtime::v1::StopContainerRequest*,
                             ::runtime::v1::StopContainerResponse*) override;
  // Idempotent: a missing container is not an error; a running one is killed first.
  grpc::Status RemoveContainer(grpc::ServerContext*, const ::runtime::v1::RemoveContainerRequest*,
                               ::runtime::v1::RemoveContainerResponse*) override;
  grpc::Status ListContainers(grpc::ServerContext*, const ::runtime::v1::ListContainersRequest*,
                              ::runtime::v1::ListContainersResponse*) override;
  grpc::Status ContainerStatus(grpc::ServerContext*, const ::runtime::v1::ContainerStatusRequest*,
                               ::runtime::v1::ContainerStatusResponse*) override;
  grpc::Status UpdateContainerResources(grpc::ServerContext*, const ::runtime::v1::UpdateContainerResourcesRequest*,
                                        ::runtime::v1::UpdateContainerResourcesResponse*) override;
  // The shim reopens the log file at the container's log path (after the kubelet renamed it);
  // FAILED_PRECONDITION "container is not running" when it is not.
  grpc::Status ReopenContainerLog(grpc::ServerContext*, const ::runtime::v1::ReopenContainerLogRequest*,
                                  ::runtime::v1::ReopenContainerLogResponse*) override;
  // The timeout (seconds, 0: none) kills the command; its end is then DEADLINE_EXCEEDED.
  grpc::Status ExecSync(grpc::ServerContext*, const ::runtime::v1::ExecSyncRequest*,
                        ::runtime::v1::ExecSyncResponse*) override;
  // The URL of a single-use session on the streaming server (cri/streaming).
  grpc::Status Exec(grpc::ServerContext*, const ::runtime::v1::ExecRequest*, ::runtime::v1::ExecResponse*) override;
  grpc::Status Attach(grpc::ServerContext*, const ::runtime::v1::AttachRequest*,
                      ::runtime::v1::AttachResponse*) override;
  grpc::Status PortForward(grpc::ServerContext*, const ::runtime::v1::PortForwardRequest*,
                           ::runtime::v1::PortForwardResponse*) override;
  void set_streaming(streaming::StreamingServer* s) { streams_ = s; }

  grpc::Status ContainerStats(grpc::ServerContext*, const ::runtime::v1::ContainerStatsRequest*,
                              ::runtime::v1::ContainerStatsResponse*) override;
  grpc::Status ListContainerStats(grpc::ServerContext*, const ::runtime::v1::ListContainerStatsRequest*,
                                  ::runtime::v1::ListContainerStatsResponse*) override;

 private:
  // Stops a pod (StopPodSandbox's steps); pods_mu_ held.
  Result<> stop_pod(const std::string& id);

  engine::Daemon& d_;
  std::string version_;
  PodNetwork net_;
  streaming::StreamingServer* streams_ = nullptr;
  std::mutex pods_mu_;  // a pod's run, stop and remove do not interleave
};

}  // namespace berth::cri
