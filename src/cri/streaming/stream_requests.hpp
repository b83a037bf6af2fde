// The three requests the streaming server serves, as the CRI hands them over (runtime.v1's
// ExecRequest, AttachRequest, PortForwardRequest; the pod's netns resolved by the CRI side).
#pragma once
#include <string>
#include <variant>
#include <vector>

namespace berth::cri::streaming {

struct ExecRequest {
  std::string container_id;
  std::vector<std::string> cmd;
  bool tty = false, stdin = false, stdout = false, stderr = false;
};

struct AttachRequest {
  std::string container_id;
  bool tty = false, stdin = false, stdout = false, stderr = false;
};

struct PortForwardRequest {
  std::string pod_sandbox_id;
  std::string netns_path;  // "" for a pod on the host's network
};

using StreamRequest = std::variant<ExecRequest, AttachRequest, PortForwardRequest>;

}  // namespace berth::cri::streaming
