#include "cri/streaming/spdy_frame.hpp"

#include "common/big_endian.hpp"

namespace berth::cri::streaming::spdy {

namespace {

constexpr uint32_t kStreamIdMask = 0x7fffffff;

uint32_t get24(std::string_view s, size_t at) {
  auto u = [&](size_t i) { return uint32_t(static_cast<unsigned char>(s[at + i])); };
  return u(0) << 16 | u(1) << 8 | u(2);
}
void put_control_header(std::string& o, FrameType t, uint8_t flags, size_t len) {
  o.push_back(char(0x80 | (kVersion >> 8)));
  o.push_back(char(kVersion & 0xff));
  o.push_back(char(static_cast<uint16_t>(t) >> 8));
  o.push_back(char(static_cast<uint16_t>(t) & 0xff));
  o.push_back(char(flags));
  o.push_back(char(len >> 16));
  o.push_back(char(len >> 8));
  o.push_back(char(len));
}

std::unexpected<Error> bad(FrameType t, const std::string& what) {
  return fail(ErrorKind::Invalid, "spdy " + frame_type_name(t) + ": " + what);
}

// A stream id field: 31 bits, the top bit reserved; 0 is no stream.
Result<uint32_t> stream_id(FrameType t, std::string_view body, size_t at) {
  uint32_t id = get_be32(body, at) & kStreamIdMask;
  if (id == 0) return bad(t, "stream id 0");
  return id;
}

}  // namespace

std::string frame_type_name(FrameType t) {
  switch (t) {
    case FrameType::Data: return "DATA";
    case FrameType::SynStream: return "SYN_STREAM";
    case FrameType::SynReply: return "SYN_REPLY";
    case FrameType::RstStream: return "RST_STREAM";
    case FrameType::Settings: return "SETTINGS";
    case FrameType::Ping: return "PING";
    case FrameType::GoAway: return "GOAWAY";
    case FrameType::Headers: return "HEADERS";
    case FrameType::WindowUpdate: return "WINDOW_UPDATE";
  }
  return "frame type " + std::to_string(static_cast<uint16_t>(t));
}

Result<std::optional<Frame>> FrameReader::next() {
  if (failed_) return fail(ErrorKind::Invalid, "spdy: the connection already sent a malformed frame");
  std::string_view in(buf_);
  in.remove_prefix(pos_);
  if (in.size() < kFrameHeader) return std::optional<Frame>{};
  failed_ = true;  // until the frame decodes
  uint32_t len = get24(in, 5);
  uint8_t flags = static_cast<uint8_t>(in[4]);
  if (len > kMaxFrameLength)
    return fail(ErrorKind::Invalid, "spdy: frame length " + std::to_string(len) + " exceeds " + std::to_string(kMaxFrameLength));
  if (in.size() < kFrameHeader + len) {
    failed_ = false;
    return std::optional<Frame>{};
  }
  std::string_view body = in.substr(kFrameHeader, len);
  Frame f;
  if (static_cast<unsigned char>(in[0]) & 0x80) {
    uint16_t version = static_cast<uint16_t>((static_cast<unsigned char>(in[0]) & 0x7f) << 8 | static_cast<unsigned char>(in[1]));
    uint16_t type = static_cast<uint16_t>(static_cast<unsigned char>(in[2]) << 8 | static_cast<unsigned char>(in[3]));
    f = BERTH_TRY(decode_control(version, type, flags, body), "");
  } else {
    f.type = FrameType::Data;
    f.stream_id = get_be32(in, 0) & kStreamIdMask;
    if (f.stream_id == 0) return fail(ErrorKind::Invalid, "spdy DATA: stream id 0");
    if (flags & ~kFlagFin) return fail(ErrorKind::Invalid, "spdy DATA: unknown flags " + std::to_string(flags));
    f.flags = flags;
    f.data.assign(body);
  }
  pos_ += kFrameHeader + len;
  if (pos_ > 64 * 1024) {  // keep the buffer from growing with what was consumed
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  failed_ = false;
  return std::optional<Frame>{std::move(f)};
}

Result<Frame> FrameReader::decode_control(uint16_t version, uint16_t type, uint8_t flags, std::string_view body) {
  Frame f;
  f.type = static_cast<FrameType>(type);
  f.flags = flags;
  if (version != kVersion)
    return fail(ErrorKind::Invalid, "spdy: control frame version " + std::to_string(version) + " (only 3 is spoken)");
  auto need = [&](size_t n, bool exact) -> Result<> {
    if (exact ? body.size() != n : body.size() < n)
      return bad(f.type, "length " + std::to_string(body.size()) + (exact ? ", expected " : ", at least ") + std::to_string(n));
    return {};
  };
  switch (f.type) {
    case FrameType::SynStream: {
      BERTH_CHECK(need(10, false), "");
      if (flags & ~(kFlagFin | kFlagUnidirectional)) return bad(f.type, "unknown flags " + std::to_string(flags));
      f.stream_id = BERTH_TRY(stream_id(f.type, body, 0), "");
      f.associated_id = get_be32(body, 4) & kStreamIdMask;
      f.priority = static_cast<uint8_t>(static_cast<unsigned char>(body[8]) >> 5);
      f.headers = BERTH_TRY(headers_.decompress(body.substr(10)), "spdy SYN_STREAM " + std::to_string(f.stream_id));
      return f;
    }
    case FrameType::SynReply:
    case FrameType::Headers: {
      BERTH_CHECK(need(4, false), "");
      if (flags & ~kFlagFin) return bad(f.type, "unknown flags " + std::to_string(flags));
      f.stream_id = BERTH_TRY(stream_id(f.type, body, 0), "");
      f.headers = BERTH_TRY(headers_.decompress(body.substr(4)), "spdy " + frame_type_name(f.type));
      return f;
    }
    case FrameType::RstStream:
      BERTH_CHECK(need(8, true), "");
      f.stream_id = BERTH_TRY(stream_id(f.type, body, 0), "");
      f.status = get_be32(body, 4);
      if (f.status == 0) return bad(f.type, "status 0");
      return f;
    case FrameType::Settings: {
      BERTH_CHECK(need(4, false), "");
      uint32_t n = get_be32(body, 0);
      if (body.size() != 4 + uint64_t(n) * 8)
        return bad(f.type, std::to_string(n) + " entries do not fit its length " + std::to_string(body.size()));
      for (uint32_t i = 0; i < n; ++i) {
        size_t at = 4 + size_t(i) * 8;
        f.settings.push_back({static_cast<uint8_t>(body[at]), get24(body, at + 1), get_be32(body, at + 4)});
      }
      return f;
    }
    case FrameType::Ping:
      BERTH_CHECK(need(4, true), "");
      f.ping_id = get_be32(body, 0);
      return f;
    case FrameType::GoAway:
      BERTH_CHECK(need(8, true), "");
      f.stream_id = get_be32(body, 0) & kStreamIdMask;
      f.status = get_be32(body, 4);
      return f;
    case FrameType::WindowUpdate:
      BERTH_CHECK(need(8, true), "");
      f.stream_id = get_be32(body, 0) & kStreamIdMask;  // 0: the connection (SPDY/3.1)
      f.delta = get_be32(body, 4) & kStreamIdMask;
      if (f.delta == 0) return bad(f.type, "delta 0");
      return f;
    default:
      return fail(ErrorKind::Invalid, "spdy: unknown control frame type " + std::to_string(type));
  }
}

std::string FrameWriter::data(uint32_t stream_id, std::string_view bytes, uint8_t flags) {
  std::string o;
  put_be32(o, stream_id & kStreamIdMask);
  o.push_back(char(flags));
  size_t len = bytes.size();
  o.push_back(char(len >> 16));
  o.push_back(char(len >> 8));
  o.push_back(char(len));
  o += bytes;
  return o;
}

Result<std::string> FrameWriter::encode(const Frame& f) {
  std::string body, o;
  switch (f.type) {
    case FrameType::Data:
      if (f.data.size() > kMaxFrameLength) return fail(ErrorKind::Invalid, "spdy DATA: payload too long");
      return data(f.stream_id, f.data, f.flags);
    case FrameType::SynStream:
      put_be32(body, f.stream_id);
      put_be32(body, f.associated_id);
      body.push_back(char((f.priority & 7) << 5));
      body.push_back(0);  // slot
      body += BERTH_TRY(headers_.compress(f.headers), "");
      break;
    case FrameType::SynReply:
    case FrameType::Headers:
      put_be32(body, f.stream_id);
      body += BERTH_TRY(headers_.compress(f.headers), "");
      break;
    case FrameType::RstStream:
      put_be32(body, f.stream_id);
      put_be32(body, f.status);
      break;
    case FrameType::Settings:
      put_be32(body, static_cast<uint32_t>(f.settings.size()));
      for (auto& s : f.settings) {
        put_be32(body, uint32_t(s.flags) << 24 | (s.id & 0xffffff));
        put_be32(body, s.value);
      }
      break;
    case FrameType::Ping:
      put_be32(body, f.ping_id);
      break;
    case FrameType::GoAway:
      put_be32(body, f.stream_id);
      put_be32(body, f.status);
      break;
    case FrameType::WindowUpdate:
      put_be32(body, f.stream_id);
      put_be32(body, f.delta);
      break;
  }
  if (body.size() > kMaxFrameLength) return fail(ErrorKind::Invalid, "spdy " + frame_type_name(f.type) + ": too long");
  put_control_header(o, f.type, f.flags, body.size());
  return o + body;
}

}  // namespace berth::cri::streaming::spdy
