// Foreground `run`/`exec` with a terminal and no --console-socket (as runc does): we receive the
// pty master ourselves and copy between it and our own stdio, in raw mode when stdin is a tty.
#pragma once
#include <thread>

#include "common/fd.hpp"

namespace berth::runtime {

// Returns when the container side closes the pty.
void proxy_pty(int master);

}  // namespace berth::runtime
