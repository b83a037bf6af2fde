// remotecommand over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io): every message is binary,
// its first byte the channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5 adds 255, a
// client's "this channel is closed", whose second byte names it). At the end the error channel
// carries the v4 Status JSON and the server closes the WebSocket (1000).
#pragma once
#include <string>
#include <vector>

#include "cri/streaming/remote_command.hpp"

namespace berth::cri::streaming {

inline const std::vector<std::string> kRemoteCommandWsProtocols = {"v5.channel.k8s.io", "v4.channel.k8s.io"};

// Runs one session on a connection whose WebSocket handshake is done.
Result<> serve_remote_command_ws(int client, std::string early, const std::string& protocol, const StreamOptions& opts,
                                 Process process);

}  // namespace berth::cri::streaming
