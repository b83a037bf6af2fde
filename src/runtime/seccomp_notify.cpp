// Hands a seccomp notify fd to the agent at linux.seccomp.listenerPath: one connection, one
// "container process state" JSON with the fd in SCM_RIGHTS on the first sendmsg, then close
// (OCI runtime spec, config-linux "The Container Process State"; runc's wire format).
#include <sys/socket.h>

#include <cstring>

#include "common/fd.hpp"
#include "runtime/console.hpp"
#include "runtime/seccomp.hpp"

namespace berth::runtime {

nlohmann::json seccomp_process_state(const nlohmann::json& state, const std::string& metadata) {
  nlohmann::json s = {{"ociVersion", state.value("ociVersion", "1.2.0")},
                      {"fds", nlohmann::json::array({"seccompFd"})},
                      {"pid", state.value("pid", 0)},
                      {"state", state}};
  if (!metadata.empty()) s["metadata"] = metadata;
  return s;
}

namespace {

Result<> send_all(int sock, const std::string& payload, int fd) {
  size_t off = 0;
  bool fd_sent = false;
  while (off < payload.size()) {
    iovec iov{const_cast<char*>(payload.data() + off), payload.size() - off};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (!fd_sent) {  // the fd goes with the first chunk only
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("sendmsg");
    }
    fd_sent = true;
    off += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

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
  BERTH_CHECK(send_all(sock.get(), msg.dump(), notify_fd), "send to seccomp listener " + listener_path);
  return {};
}

Result<> send_seccomp_notify_fd(const std::string& listener_path, int notify_fd, const nlohmann::json& state,
                                const std::string& metadata) {
  if (!state.is_object()) return fail(ErrorKind::Invalid, "container state: expected object");
  return send_seccomp_notify_fd(listener_path, notify_fd, seccomp_process_state(state, metadata));
}

}  // namespace berth::runtime
