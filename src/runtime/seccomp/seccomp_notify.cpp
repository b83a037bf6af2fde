// Hands a seccomp notify fd to the agent at linux.seccomp.listenerPath: one connection, one
// "container process state" JSON with the fd in SCM_RIGHTS on the first sendmsg, then close
// (OCI runtime spec, config-linux "The Container Process State"; runc's wire format).
#include <sys/socket.h>

#include <cstring>

#include "common/fd.hpp"
#include "runtime/console.hpp"
#include "runtime/seccomp/seccomp.hpp"

namespace berth::runtime {

nlohmann::json seccomp_process_state(const nlohmann::json& state, const std::string& metadata) {
  nlohmann::json s = {{"ociVersion", state.value("ociVersion", "1.2.0")},
                      {"fds", nlohmann::json::array({"seccompFd"})},
                      {"pid", state.value("pid", 0)},
                      {"state", state}};
  if (!metadata.empty()) s["metadata"] = metadata;
  return s;
}


Result<> send_seccomp_notify_fd(const std::string& listener_path, int notify_fd,
                                const nlohmann::json& container_process_state) {
  if (listener_path.empty()) return fail(ErrorKind::Invalid, "linux.seccomp.listenerPath: not set");
  if (notify_fd < 0) return fail(ErrorKind::Invalid, "seccomp notify fd: not open");
  if (!container_process_state.is_object())
    return fail(ErrorKind::Invalid, "seccomp container process state: expected object");
  nlohmann::json msg = container_process_state.contains("state")
                           ? container_process_state
                           : seccomp_process_state(container_process_state, "");
  msg["fds"] = nlohmann::json::array({"seccompFd"});
  auto sock = BERTH_TRY(connect_unix(listener_path), "connect to seccomp listener");
  BERTH_CHECK(send_fd(sock.get(), notify_fd, msg.dump()), "send to seccomp listener " + listener_path);
  return {};
}

Result<> send_seccomp_notify_fd(const std::string& listener_path, int notify_fd, const nlohmann::json& state,
                                const std::string& metadata) {
  if (!state.is_object()) return fail(ErrorKind::Invalid, "container state: expected object");
  return send_seccomp_notify_fd(listener_path, notify_fd, seccomp_process_state(state, metadata));
}

}  // namespace berth::runtime
