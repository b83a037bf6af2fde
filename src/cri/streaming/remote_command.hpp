// The server side of Kubernetes' remotecommand protocol (exec and attach) over SPDY/3.1: the
// client opens one stream per channel, each named by its `streamType` header (error, stdin,
// stdout, stderr, resize); once the expected ones are there the process starts, stdin and
// terminal sizes flow in, stdout and stderr flow out, and at the end the error stream carries
// how it went (v4: a Status JSON, "Success", or "Failure" with reason NonZeroExitCode and the
// ExitCode cause; v2/v3: the error text, nothing on success).
//
// The process is the engine's: a connection speaking the shim's frame protocol
// (engine/attach_protocol.hpp), as ExecService::start returns for an exec, or the container's
// shim for an attach.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::cri::streaming {

// The subprotocols spoken over SPDY, most preferred first (X-Stream-Protocol-Version).
inline const std::vector<std::string> kRemoteCommandProtocols = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                                                 "v2.channel.k8s.io"};

struct StreamOptions {
  bool stdin = false, stdout = true, stderr = true, tty = false;
};

// What the session runs, supplied by the CRI side for one request.
struct Process {
  // Starts it (called once the client's streams are there); the fd speaks the shim's frames.
  std::function<Result<UniqueFd>()> start;
  // How it ended: ExecExit's payload ("" when the connection closed without one). Optional.
  std::function<void(const std::string&)> finished;
  // The client left while the process runs on: its connection, for whoever follows it to its
  // end (ExecService::follow). Optional; without it the connection is closed.
  std::function<void(UniqueFd)> orphaned;
  // The command, for the failure message ("command 'sh -c exit 7' exited with 7").
  std::vector<std::string> cmd;
  // The client's end of stdin (without a TTY) closes the process's: always for an exec; for an
  // attach only when the container was made StdinOnce, as containerd does (kubectl#1268).
  bool close_stdin_at_eof = true;
};

// The v4 error-stream Status for an exit code (0: Success), and for a failure to run at all.
std::string exit_status_json(int exit_code, const std::vector<std::string>& cmd);
std::string error_status_json(const std::string& message);

// Splits a stream of JSON terminal sizes ({"Width":80,"Height":24}, one after another) into
// sizes as they complete. Garbage, or an object longer than 1 KiB, is an error.
class ResizeDecoder {
 public:
  struct Size {
    uint32_t width = 0, height = 0;
  };
  Result<std::vector<Size>> feed(std::string_view data);

 private:
  std::string buf_;
};

struct SessionLimits {
  std::chrono::milliseconds stream_creation_timeout{30000};  // the kubelet's default
};

// Runs one session on an upgraded connection (client: the socket; early: bytes already read
// past the HTTP upgrade). Returns when the process ended and the client was told, or the client
// went away; the error says why a session ended abnormally.
Result<> serve_remote_command_spdy(int client, std::string early, const std::string& protocol, const StreamOptions& opts,
                                   Process process, SessionLimits limits = {});

}  // namespace berth::cri::streaming
