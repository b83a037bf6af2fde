// The streaming runtime backed by berth's engine: an exec is an ExecService exec (created on
// connect, started once the client's streams are there, followed to its end if the client
// leaves); an attach is a connection to the container's shim, whose stdin the client's EOF
// closes only when the container is StdinOnce. The CRI server constructs one
// from its Daemon and hands it to StreamingServer::start.
#pragma once
#include "cri/streaming/streaming_server.hpp"
#include "engine/container_service.hpp"
#include "engine/exec_service.hpp"

namespace berth::cri::streaming {

class EngineStreamingRuntime : public StreamingRuntime {
 public:
  EngineStreamingRuntime(engine::ContainerService& containers, engine::ExecService& execs)
      : containers_(containers), execs_(execs) {}
  Result<Process> exec(const ExecRequest& r) override;
  Result<Process> attach(const AttachRequest& r) override;

 private:
  engine::ContainerService& containers_;
  engine::ExecService& execs_;
};

}  // namespace berth::cri::streaming
