#include "runtime/pty_proxy.hpp"

#include "runtime/console.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace berth::runtime {

void proxy_pty(int master) {
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
  }
  pollfd fds[2] = {{0, POLLIN, 0}, {master, POLLIN, 0}};
  char buf[8192];
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      (void)!write(1, buf, static_cast<size_t>(n));
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) fds[0].fd = -1;  // stdin closed: keep showing output
      else (void)!write(master, buf, static_cast<size_t>(n));
    }
  }
  if (raw) tcsetattr(0, TCSANOW, &saved);
}

}  // namespace berth::runtime
