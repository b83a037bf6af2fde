// Pseudo-terminals for `terminal: true` and passing the master over --console-socket.
#pragma once
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::runtime {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
};

// Opens a new pty from /dev/ptmx (inside the container's devpts after pivot_root).
Result<Pty> open_pty(unsigned rows, unsigned cols);
// Makes slave the controlling terminal and stdio of the calling process.
Result<> make_controlling_tty(int slave_fd);
Result<UniqueFd> connect_unix(const std::string& path);
// Sends fd over a connected unix socket with SCM_RIGHTS (runc sends the name "/dev/ptmx"-ish text too).
Result<> send_fd(int sock, int fd, std::string_view name);
Result<UniqueFd> recv_fd(int sock);

// The window size of a terminal (a pty master or slave); 0x0 leaves it unset.
Result<> set_window_size(int tty_fd, unsigned rows, unsigned cols);
// recv_fd that also returns the name the sender put in the message.
struct ReceivedFd {
  UniqueFd fd;
  std::string name;
};
Result<ReceivedFd> recv_fd_with_name(int sock);

}  // namespace berth::runtime
