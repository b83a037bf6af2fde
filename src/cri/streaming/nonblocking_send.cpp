#include "cri/streaming/nonblocking_send.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <string_view>

namespace berth::cri::streaming {

namespace {

// One send of what is pending; >0 bytes sent, 0 to retry later (EAGAIN), -1 peer gone.
ssize_t send_some(int fd, std::string_view data) {
  for (;;) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 0;
    return n <= 0 ? -1 : n;
  }
}

}  // namespace

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool send_pending(int fd, std::string& buf) {
  while (!buf.empty()) {
    ssize_t n = send_some(fd, buf);
    if (n == 0) return true;
    if (n < 0) return false;
    buf.erase(0, static_cast<size_t>(n));
  }
  return true;
}

bool send_pending(int fd, spdy::Connection& conn) {
  while (!conn.output().empty()) {
    ssize_t n = send_some(fd, conn.output());
    if (n == 0) return true;
    if (n < 0) return false;
    conn.sent(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace berth::cri::streaming
