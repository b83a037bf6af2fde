// The stdio the shim gives a process it starts in the container (the init, an exec): pipes whose
// container ends become the process's fds 0-2 (the runtime hands over the caller's 0-2), and the
// small fd and clock helpers the shim's poll loops share.
#pragma once
#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::engine {

// Without a terminal; with one the runtime hands back the pty master instead.
struct Stdio {
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
};

// open_stdin false: the process reads /dev/null.
Result<Stdio> make_stdio(bool open_stdin);
// Points our fds 0-2 at the process's ends, for the runtime call that starts it.
Result<> install_stdio(const Stdio& s);
// Our fds 0-2 back to /dev/null, and our copies of the process's ends closed.
void reset_stdio(Stdio& s);

void set_nonblock(int fd);
long long now_ms();  // CLOCK_MONOTONIC
// A wait status as docker reports it: the exit code, or 128+signal.
int exit_status(int wait_status);

}  // namespace berth::engine
