// Pseudo-terminals and fd passing. open_pty runs inside the container (after pivot_root), so
// /dev/ptmx is the container's devpts; the master travels to --console-socket with SCM_RIGHTS.
#include "runtime/console.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace berth::runtime {

Result<> set_window_size(int tty_fd, unsigned rows, unsigned cols) {
  if (rows == 0 && cols == 0) return {};
  if (rows > 0xffff || cols > 0xffff)
    return fail(ErrorKind::Invalid, "console size " + std::to_string(rows) + "x" + std::to_string(cols) +
                                        ": out of range (max 65535)");
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(tty_fd, TIOCSWINSZ, &ws) != 0) return fail_sys("set console size (TIOCSWINSZ)");
  return {};
}

Result<Pty> open_pty(unsigned rows, unsigned cols) {
  Pty p;
  p.master = UniqueFd(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master) return fail_sys("open /dev/ptmx");
  if (unlockpt(p.master.get()) != 0) return fail_sys("unlockpt");
  // TIOCGPTPEER opens the peer through the master, immune to a swapped /dev/pts path.
  p.slave = UniqueFd(ioctl(p.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.slave) {
    if (errno != EINVAL && errno != ENOTTY) return fail_sys("open pty peer (TIOCGPTPEER)");
    char name[64];
    if (ptsname_r(p.master.get(), name, sizeof name) != 0) return fail_sys("ptsname");
    p.slave = UniqueFd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!p.slave) return fail_sys(std::string("open ") + name);
  }
  BERTH_CHECK(set_window_size(p.slave.get(), rows, cols), "");
  return p;
}

Result<> make_controlling_tty(int slave_fd) {
  // A session leader cannot start a new session, but it may already be one (and that is enough).
  if (setsid() < 0 && !(errno == EPERM && getsid(0) == getpid())) return fail_sys("setsid");
  if (ioctl(slave_fd, TIOCSCTTY, 0) != 0) return fail_sys("make the console the controlling terminal (TIOCSCTTY)");
  for (int target = 0; target <= 2; ++target)
    if (dup2(slave_fd, target) < 0) return fail_sys("dup2 console to fd " + std::to_string(target));
  return {};
}

Result<UniqueFd> connect_unix(const std::string& path) {
  if (path.empty()) return fail(ErrorKind::Invalid, "unix socket path is empty");
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_sys("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string target = path;
  UniqueFd dir;
  if (target.size() >= sizeof addr.sun_path) {
    // Too long for sun_path: reach it through an O_PATH fd of its directory.
    auto slash = path.rfind('/');
    std::string d = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    dir = UniqueFd(::open(d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return fail_sys("open " + d);
    target = "/proc/self/fd/" + std::to_string(dir.get()) + "/" + path.substr(slash + 1);
    if (target.size() >= sizeof addr.sun_path) return fail(ErrorKind::Invalid, "connect " + path + ": name too long");
  }
  std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
  while (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINTR) return fail_sys("connect " + path);
  }
  return sock;
}

Result<> send_fd(int sock, int fd, std::string_view name) {
  // A stream socket needs at least one byte of payload to carry the control message.
  std::string_view payload = name.empty() ? std::string_view("fd") : name;
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("sendmsg (SCM_RIGHTS)");
  // A long payload (the seccomp agent's state JSON) may go out in pieces; the fd rode the first.
  for (size_t off = static_cast<size_t>(n); off < payload.size(); off += static_cast<size_t>(n)) {
    n = send(sock, payload.data() + off, payload.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      n = 0;
      continue;
    }
    if (n < 0) return fail_sys("send");
  }
  return {};
}

Result<ReceivedFd> recv_fd_with_name(int sock) {
  char buf[4096];
  iovec iov{buf, sizeof buf};
  // Room for a few fds: a peer that sends more gets the extras closed, not leaked.
  constexpr int kMaxFds = 8;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("recvmsg (SCM_RIGHTS)");
  ReceivedFd out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (!out.fd) out.fd = UniqueFd(fd);
      else ::close(fd);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return fail(ErrorKind::Invalid, "recvmsg (SCM_RIGHTS): control data truncated");
  if (!out.fd) {
    if (n == 0) return fail(ErrorKind::Unavailable, "recvmsg (SCM_RIGHTS): peer closed without sending a fd");
    return fail(ErrorKind::Invalid, "recvmsg (SCM_RIGHTS): message carried no fd");
  }
  out.name.assign(buf, static_cast<size_t>(n));
  return out;
}

Result<UniqueFd> recv_fd(int sock) {
  auto r = BERTH_TRY(recv_fd_with_name(sock), "");
  return std::move(r.fd);
}

}  // namespace berth::runtime
