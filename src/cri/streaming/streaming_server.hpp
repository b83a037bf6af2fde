// The CRI streaming server: the URLs that the CRI's Exec, Attach and PortForward calls return,
// and the HTTP server behind them (127.0.0.1:<port> by default). Each URL holds a single-use
// token that expires (a minute by default); the client upgrades its request to SPDY/3.1 with a
// subprotocol (remotecommand v2-v4, or portforward.k8s.io), or for exec and attach to WebSocket
// (v5.channel.k8s.io, v4.channel.k8s.io), and the session runs on that connection. An unknown, used or expired token is a 404.
//
// The CRI side implements StreamingRuntime (what a request runs) and calls get_exec /
// get_attach / get_port_forward from its gRPC handlers, returning the URL in the response.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "cri/streaming/remote_command.hpp"
#include "cri/streaming/stream_requests.hpp"

namespace berth::cri::streaming {

class StreamingRuntime {
 public:
  virtual ~StreamingRuntime() = default;
  // Called when the client connects (before the upgrade: an error here is its HTTP answer).
  virtual Result<Process> exec(const ExecRequest& r) = 0;
  virtual Result<Process> attach(const AttachRequest& r) = 0;
  // A socket connected to the port in the pod; by default dial_in_netns(r.netns_path, port).
  virtual Result<UniqueFd> dial(const PortForwardRequest& r, uint16_t port);
};

struct StreamingConfig {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see base_url())
  std::chrono::milliseconds token_ttl{60000};
  SessionLimits limits;
};

class StreamingServer {
 public:
  // Listens and serves on threads of its own until destroyed.
  static Result<std::unique_ptr<StreamingServer>> start(const StreamingConfig& config, StreamingRuntime& runtime);
  ~StreamingServer();  // stops listening, ends every session, joins its threads

  // The URL for a request, after the kubelet's checks (an Invalid error names what is wrong).
  Result<std::string> get_exec(const ExecRequest& r);
  Result<std::string> get_attach(const AttachRequest& r);
  Result<std::string> get_port_forward(const PortForwardRequest& r);

  std::string base_url() const;  // http://127.0.0.1:<port>

  struct Impl;

 private:
  explicit StreamingServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::cri::streaming
