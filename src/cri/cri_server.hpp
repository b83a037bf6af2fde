// berthd's CRI endpoint: runtime.v1 RuntimeService and ImageService over gRPC on a unix socket,
// beside the Engine API and on the same engine. gRPC stays behind this header.
#pragma once
#include <memory>
#include <string>

#include "common/error.hpp"
#include "cri/streaming/streaming_server.hpp"
#include "engine/daemon.hpp"

namespace berth::cri {

struct CriServerOptions {
  std::string socket;           // absolute path; its directory is created
  std::string socket_group;     // chgrp the socket (mode 0660) when this group exists
  std::string runtime_version;  // VersionResponse.runtime_version
  streaming::StreamingConfig streaming;  // Exec/Attach/PortForward sessions (127.0.0.1, any port)
};

class CriServer {
 public:
  // Binds the socket and serves on gRPC's threads. A live server on the same socket is refused;
  // a stale socket file from a crash is replaced.
  static Result<std::unique_ptr<CriServer>> listen(engine::Daemon& d, const CriServerOptions& opts);
  ~CriServer();  // stop()s
  // Stops taking calls, cancels the running ones after a bounded grace period and removes the
  // socket file.
  void stop();
  const std::string& socket() const;

  struct Impl;

 private:
  explicit CriServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::cri
