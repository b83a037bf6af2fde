#include "cri/runtime_service.hpp"

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "cri/streaming/streaming_server.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;

grpc::Status RuntimeService::Version(grpc::ServerContext*, const v1::VersionRequest*, v1::VersionResponse* out) {
  out->set_version("0.1.0");  // the kubelet runtime API's own version, as containerd and CRI-O answer
  out->set_runtime_name("berth");
  out->set_runtime_version(version_);
  out->set_runtime_api_version("v1");
  return grpc::Status::OK;
}

grpc::Status RuntimeService::Status(grpc::ServerContext*, const v1::StatusRequest* req, v1::StatusResponse* out) {
  auto* runtime_ready = out->mutable_status()->add_conditions();
  runtime_ready->set_type("RuntimeReady");
  runtime_ready->set_status(true);
  // NetworkReady: pods can get a network (a CNI config is there to give them one).
  auto* network_ready = out->mutable_status()->add_conditions();
  network_ready->set_type("NetworkReady");
  if (auto net = net_.config()) {
    network_ready->set_status(true);
  } else {
    network_ready->set_status(false);
    network_ready->set_reason("NetworkPluginNotReady");
    network_ready->set_message("Network plugin returns error: cni plugin not initialized: " + net.error().what());
  }
  if (req->verbose()) {
    const auto& cri = d_.config().cri;
    nlohmann::json mirrors = cri.registry_mirrors;
    nlohmann::json config = {{"socket", cri.socket},
                             {"registryMirrors", mirrors},
                             {"cniConfDir", cri.cni_conf_dir},
                             {"cniBinDir", cri.cni_bin_dir},
                             {"dataRoot", d_.config().data_root},
                             {"execRoot", d_.config().exec_root},
                             {"streamServer", streams_ ? streams_->base_url() : ""}};
    (*out->mutable_info())["config"] = config.dump();
  }
  return grpc::Status::OK;
}

grpc::Status RuntimeService::UpdateRuntimeConfig(grpc::ServerContext*, const v1::UpdateRuntimeConfigRequest* req,
                                                 v1::UpdateRuntimeConfigResponse*) {
  // The pod CIDR is the CNI configuration's business; berth takes note of it.
  const auto& cidr = req->runtime_config().network_config().pod_cidr();
  if (!cidr.empty()) log::info("CRI: pod CIDR " + cidr);
  return grpc::Status::OK;
}

}  // namespace berth::cri
