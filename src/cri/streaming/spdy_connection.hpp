// The server's half of a SPDY/3.1 connection, without I/O: bytes from the peer go in, events
// (streams opened, data, half-closes, resets) come out, and frames to send accumulate in an
// output buffer the caller writes. Streams are the peer's (odd ids, increasing); PING is
// answered, SETTINGS and WINDOW_UPDATE adjust flow control here.
//
// Flow control: the peer's data is acknowledged with WINDOW_UPDATE as the caller reports it
// consumed (an overrun is tolerated: see feed()). Our sends hold to the peer's
// window only once the peer has shown that it keeps one (a SETTINGS initial window or a
// WINDOW_UPDATE): spdystream, the SPDY code in kubectl and crictl, never sends WINDOW_UPDATE,
// so holding it to a window it never reopens would stall every session after 64 KiB.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "cri/streaming/spdy_frame.hpp"

namespace berth::cri::streaming::spdy {

struct Event {
  enum Kind { Opened, Data, RemoteClosed, Reset, GoAway } kind;
  uint32_t stream_id = 0;
  Headers headers;   // Opened
  std::string data;  // Data
};

class Connection {
 public:
  // Peer bytes in; the events they make. An error is fatal (a malformed frame, a protocol
  // violation): the caller sends what is queued (a GOAWAY) and closes.
  Result<std::vector<Event>> feed(std::string_view bytes);

  Result<> reply(uint32_t id, const Headers& h = {});  // SYN_REPLY
  // Queues data (split to frames; held back while the peer's window is shut). fin half-closes.
  void send(uint32_t id, std::string_view bytes, bool fin = false);
  void reset(uint32_t id, uint32_t status);
  void go_away(uint32_t status = 0);
  // The peer's data on id has been used: reopen its window.
  void consumed(uint32_t id, size_t n);

  // Frames ready to go out; the caller calls sent() with how much it wrote.
  std::string_view output() const { return std::string_view(out_).substr(out_pos_); }
  void sent(size_t n);
  // Data still held back by flow control, over all streams.
  size_t held() const;

  bool has_stream(uint32_t id) const { return streams_.count(id) != 0; }
  bool flow_controlled() const { return enforce_send_window_; }

 private:
  struct Stream {
    bool local_closed = false, remote_closed = false;
    int64_t send_window = kInitialWindow;
    int64_t recv_window = kInitialWindow;
    std::string held;  // data waiting for the window
    bool held_fin = false;
  };
  void queue(const Frame& f);
  void flush_held(uint32_t id, Stream& s);
  void forget_if_done(uint32_t id);

  FrameReader reader_;
  FrameWriter writer_;
  std::map<uint32_t, Stream> streams_;
  uint32_t last_peer_id_ = 0;
  int64_t initial_send_window_ = kInitialWindow;
  bool enforce_send_window_ = false;
  bool gone_away_ = false;
  std::string out_;
  size_t out_pos_ = 0;
};

}  // namespace berth::cri::streaming::spdy
