// Writing to the non-blocking sockets of a streaming session: as much as the socket takes now,
// the rest left queued for the next POLLOUT.
#pragma once
#include <cstddef>
#include <string>

#include "cri/streaming/spdy_connection.hpp"

namespace berth::cri::streaming {

// A session stops reading one side while this much waits to be written to the other.
constexpr size_t kHighWater = 256 * 1024;

void set_nonblocking(int fd);
// False when the peer is gone; true when everything went or the socket is full (EAGAIN).
bool send_pending(int fd, std::string& buf);             // sent bytes are erased from buf
bool send_pending(int fd, spdy::Connection& conn);       // the connection's framed output

}  // namespace berth::cri::streaming
