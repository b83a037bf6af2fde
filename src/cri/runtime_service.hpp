// runtime.v1.RuntimeService: Version, Status and UpdateRuntimeConfig so far; every other rpc
// answers UNIMPLEMENTED (the generated base class's default) until pods and containers land.
#pragma once
#include <string>

#include "cri/api.grpc.pb.h"
#include "engine/daemon.hpp"

namespace berth::cri {

class RuntimeService final : public ::runtime::v1::RuntimeService::Service {
 public:
  RuntimeService(engine::Daemon& d, std::string runtime_version) : d_(d), version_(std::move(runtime_version)) {}

  grpc::Status Version(grpc::ServerContext*, const ::runtime::v1::VersionRequest*,
                       ::runtime::v1::VersionResponse*) override;
  grpc::Status Status(grpc::ServerContext*, const ::runtime::v1::StatusRequest*,
                      ::runtime::v1::StatusResponse*) override;
  grpc::Status UpdateRuntimeConfig(grpc::ServerContext*, const ::runtime::v1::UpdateRuntimeConfigRequest*,
                                   ::runtime::v1::UpdateRuntimeConfigResponse*) override;

 private:
  engine::Daemon& d_;
  std::string version_;
};

}  // namespace berth::cri
