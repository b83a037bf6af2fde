// The server side of Kubernetes' port-forward protocol over SPDY/3.1 (`portforward.k8s.io`):
// for each forwarded connection the client opens an error stream and a data stream, both with
// `port` and `requestID` headers; once both are there the server dials the port inside the
// pod's network namespace and relays bytes between the data stream and that socket, writing
// any failure as text on the error stream.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::cri::streaming {

inline constexpr const char* kPortForwardProtocol = "portforward.k8s.io";

// A connected TCP socket to localhost:port in the network namespace at netns_path (empty: this
// process's own). The socket is made by a short-lived thread that entered the namespace, so
// this thread's namespace never changes; the socket stays bound to the pod's namespace.
Result<UniqueFd> dial_in_netns(const std::string& netns_path, uint16_t port);

using Dialer = std::function<Result<UniqueFd>(uint16_t port)>;

// Serves one upgraded connection until the client closes it (client: the socket; early: bytes
// read past the upgrade). Ports dialed are those the client names; `dial` decides where.
Result<> serve_port_forward_spdy(int client, std::string early, Dialer dial);

}  // namespace berth::cri::streaming
