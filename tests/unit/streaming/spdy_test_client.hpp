// The client side of a SPDY session, for tests: opens streams as client-go's remotecommand and
// portforward do (SYN_STREAM with headers, waiting for SYN_REPLY), sends data, and collects what
// comes back per stream. Built on the codec under test, so a framing bug on either side shows.
#pragma once
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "cri/streaming/spdy_frame.hpp"

namespace berth::cri::streaming::test {

class SpdyTestClient {
 public:
  explicit SpdyTestClient(int fd) : fd_(fd) {}

  uint32_t open(const std::string& stream_type, spdy::Headers extra = {}, bool fin = false) {
    spdy::Frame f;
    f.type = spdy::FrameType::SynStream;
    f.stream_id = next_id_;
    next_id_ += 2;
    f.flags = fin ? spdy::kFlagFin : 0;
    f.headers = {{"streamtype", stream_type}};
    for (auto& h : extra) f.headers.push_back(h);
    write_all(*w_.encode(f));
    return f.stream_id;
  }
  void send(uint32_t id, const std::string& data, bool fin = false) {
    write_all(spdy::FrameWriter::data(id, data, fin ? spdy::kFlagFin : 0));
  }
  void write_raw(const std::string& bytes) { write_all(bytes); }

  // Reads and records frames until done() holds (true) or the timeout passes or the server closes
  // (false; why in error).
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[16384];
    while (!done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        error = "timed out";
        return false;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) {
        closed = true;
        error = "the server closed the connection";
        return done();
      }
      r_.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (true) {
        auto f = r_.next();
        if (!f) {
          error = f.error().what();
          return false;
        }
        if (!*f) break;
        record(**f);
      }
    }
    return true;
  }

  std::map<uint32_t, std::string> data;
  std::set<uint32_t> replied, finished, reset;
  std::map<uint32_t, uint32_t> window_updates;  // stream -> sum of deltas
  bool went_away = false, closed = false;
  std::string error;

 private:
  void record(spdy::Frame& f) {
    switch (f.type) {
      case spdy::FrameType::SynReply: replied.insert(f.stream_id); break;
      case spdy::FrameType::Data:
        data[f.stream_id] += f.data;
        if (f.fin()) finished.insert(f.stream_id);
        break;
      case spdy::FrameType::RstStream: reset.insert(f.stream_id); break;
      case spdy::FrameType::GoAway: went_away = true; break;
      case spdy::FrameType::WindowUpdate: window_updates[f.stream_id] += f.delta; break;
      default: break;
    }
  }
  void write_all(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  int fd_;
  uint32_t next_id_ = 1;
  spdy::FrameWriter w_;
  spdy::FrameReader r_;
};

}  // namespace berth::cri::streaming::test
