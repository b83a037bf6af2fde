// Pseudo-terminals for `terminal: true` and passing the master over --console-socket.
#pragma once
#include <string>

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

}  // namespace berth::runtime
