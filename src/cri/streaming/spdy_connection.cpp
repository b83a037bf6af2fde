#include "cri/streaming/spdy_connection.hpp"

#include <algorithm>

namespace berth::cri::streaming::spdy {

namespace {
constexpr size_t kMaxDataFrame = 32 * 1024;
constexpr uint32_t kGoAwayProtocolError = 1;
}  // namespace

void Connection::queue(const Frame& f) {
  auto bytes = writer_.encode(f);
  if (bytes) out_ += *bytes;
}

void Connection::sent(size_t n) {
  out_pos_ += n;
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
}

size_t Connection::held() const {
  size_t n = 0;
  for (auto& [id, s] : streams_) n += s.held.size();
  return n;
}

Result<std::vector<Event>> Connection::feed(std::string_view bytes) {
  reader_.feed(bytes);
  std::vector<Event> ev;
  auto protocol_error = [&](const std::string& what) -> Result<std::vector<Event>> {
    go_away(kGoAwayProtocolError);
    return fail(ErrorKind::Invalid, what);
  };
  while (true) {
    auto next = reader_.next();
    if (!next) return protocol_error(next.error().what());
    if (!*next) break;
    Frame& f = **next;
    switch (f.type) {
      case FrameType::SynStream: {
        // Peer streams are odd and increase; a reused or even id is the peer's bug.
        if (f.stream_id % 2 == 0 || f.stream_id <= last_peer_id_)
          return protocol_error("spdy SYN_STREAM: stream id " + std::to_string(f.stream_id) + " out of sequence");
        last_peer_id_ = f.stream_id;
        if (gone_away_) {
          reset(f.stream_id, kRstRefusedStream);
          break;
        }
        Stream s;
        s.send_window = initial_send_window_;
        s.remote_closed = f.fin();
        s.local_closed = f.flags & kFlagUnidirectional;
        streams_[f.stream_id] = s;
        ev.push_back({Event::Opened, f.stream_id, std::move(f.headers), ""});
        if (f.fin()) ev.push_back({Event::RemoteClosed, f.stream_id, {}, ""});
        break;
      }
      case FrameType::Data: {
        auto it = streams_.find(f.stream_id);
        if (it == streams_.end() || it->second.remote_closed) {
          reset(f.stream_id, 2 /* INVALID_STREAM */);
          break;
        }
        auto& s = it->second;
        // Counted, not enforced: spdystream ignores windows, so its clients overrun them whenever
        // the process reads slower than they write; TCP backpressure bounds what we hold instead.
        s.recv_window -= static_cast<int64_t>(f.data.size());
        if (!f.data.empty()) ev.push_back({Event::Data, f.stream_id, {}, std::move(f.data)});
        if (f.fin()) {
          s.remote_closed = true;
          ev.push_back({Event::RemoteClosed, f.stream_id, {}, ""});
          forget_if_done(f.stream_id);
        }
        break;
      }
      case FrameType::RstStream:
        if (streams_.erase(f.stream_id)) ev.push_back({Event::Reset, f.stream_id, {}, ""});
        break;
      case FrameType::Settings: {
        std::vector<uint32_t> ids;
        for (auto& st : f.settings) {
          if (st.id != kSettingInitialWindowSize) continue;
          if (st.value > 0x7fffffff) return protocol_error("spdy SETTINGS: initial window " + std::to_string(st.value));
          enforce_send_window_ = true;
          int64_t diff = int64_t(st.value) - initial_send_window_;
          initial_send_window_ = st.value;
          for (auto& [id, s] : streams_) s.send_window += diff;
        }
        for (auto& [id, s] : streams_) ids.push_back(id);
        for (uint32_t id : ids)  // flush_held may forget a stream: no iterator is kept across it
          if (auto it = streams_.find(id); it != streams_.end()) flush_held(id, it->second);
        break;
      }
      case FrameType::WindowUpdate: {
        enforce_send_window_ = true;
        if (f.stream_id == 0) break;  // SPDY/3.1's connection window: streams' windows suffice here
        auto it = streams_.find(f.stream_id);
        if (it == streams_.end()) break;
        it->second.send_window += f.delta;
        if (it->second.send_window > 0x7fffffff) {
          reset(f.stream_id, kRstFlowControlError);
          streams_.erase(it);
          ev.push_back({Event::Reset, f.stream_id, {}, ""});
          break;
        }
        flush_held(f.stream_id, it->second);
        break;
      }
      case FrameType::Ping:
        if (f.ping_id % 2 == 1) queue(f);  // the peer's ping (odd: client-initiated): echo it
        break;
      case FrameType::GoAway:
        gone_away_ = true;
        ev.push_back({Event::GoAway, f.stream_id, {}, ""});
        break;
      case FrameType::SynReply:
      case FrameType::Headers:
        break;  // we open no streams; extra headers on the peer's streams carry nothing we use
    }
  }
  return ev;
}

Result<> Connection::reply(uint32_t id, const Headers& h) {
  if (!streams_.count(id)) return fail(ErrorKind::Invalid, "spdy: no stream " + std::to_string(id) + " to reply to");
  Frame f;
  f.type = FrameType::SynReply;
  f.stream_id = id;
  f.headers = h;
  queue(f);
  return {};
}

void Connection::send(uint32_t id, std::string_view bytes, bool fin) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.local_closed) return;
  auto& s = it->second;
  s.held.append(bytes);
  s.held_fin = s.held_fin || fin;
  flush_held(id, s);
}

void Connection::flush_held(uint32_t id, Stream& s) {
  while (!s.held.empty()) {
    size_t n = std::min(s.held.size(), kMaxDataFrame);
    if (enforce_send_window_) n = std::min<int64_t>(static_cast<int64_t>(n), std::max<int64_t>(s.send_window, 0));
    if (n == 0) return;
    bool last = n == s.held.size() && s.held_fin;
    out_ += FrameWriter::data(id, std::string_view(s.held).substr(0, n), last ? kFlagFin : 0);
    s.send_window -= static_cast<int64_t>(n);
    s.held.erase(0, n);
    if (last) {
      s.local_closed = true;
      forget_if_done(id);
      return;
    }
  }
  if (s.held_fin && !s.local_closed) {
    out_ += FrameWriter::data(id, "", kFlagFin);
    s.local_closed = true;
    forget_if_done(id);
  }
}

void Connection::forget_if_done(uint32_t id) {
  auto it = streams_.find(id);
  if (it != streams_.end() && it->second.local_closed && it->second.remote_closed && it->second.held.empty()) streams_.erase(it);
}

void Connection::reset(uint32_t id, uint32_t status) {
  Frame f;
  f.type = FrameType::RstStream;
  f.stream_id = id;
  f.status = status;
  queue(f);
  streams_.erase(id);
}

void Connection::go_away(uint32_t status) {
  if (gone_away_ && status == 0) return;
  gone_away_ = true;
  Frame f;
  f.type = FrameType::GoAway;
  f.stream_id = last_peer_id_;
  f.status = status;
  queue(f);
}

void Connection::consumed(uint32_t id, size_t n) {
  if (n == 0) return;
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second.recv_window += static_cast<int64_t>(n);
  Frame f;
  f.type = FrameType::WindowUpdate;
  f.stream_id = id;
  f.delta = static_cast<uint32_t>(n);
  queue(f);
}

}  // namespace berth::cri::streaming::spdy
