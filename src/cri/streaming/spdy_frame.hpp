// SPDY/3.1 framing (the draft's section 2.2): control frames (bit 0 set, version 3, a 16-bit
// type, 8-bit flags, 24-bit length) and data frames (31-bit stream id, flags, length). The
// reader reassembles frames from arbitrarily split input and decodes header blocks through its
// connection's zlib stream; the writer encodes them, compressing through its own.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "cri/streaming/spdy_headers.hpp"

namespace berth::cri::streaming::spdy {

enum class FrameType : uint16_t {
  Data = 0,  // not on the wire: data frames have no type field
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
};

inline constexpr uint8_t kFlagFin = 0x01;
inline constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM
inline constexpr uint16_t kVersion = 3;
inline constexpr size_t kFrameHeader = 8;
// The largest frame accepted: well above what peers send (Go's io.Copy writes 32 KiB), far
// below the 24-bit field's 16 MiB.
inline constexpr uint32_t kMaxFrameLength = 1 << 20;
inline constexpr uint32_t kInitialWindow = 64 * 1024;
inline constexpr uint32_t kSettingInitialWindowSize = 7;

// RST_STREAM status codes used here.
inline constexpr uint32_t kRstProtocolError = 1;
inline constexpr uint32_t kRstRefusedStream = 3;
inline constexpr uint32_t kRstCancel = 5;
inline constexpr uint32_t kRstFlowControlError = 7;

struct Setting {
  uint8_t flags = 0;
  uint32_t id = 0;  // 24 bits
  uint32_t value = 0;
};

struct Frame {
  FrameType type = FrameType::Data;
  uint8_t flags = 0;
  uint32_t stream_id = 0;  // also GOAWAY's last-good-stream-id
  uint32_t associated_id = 0;  // SYN_STREAM
  uint8_t priority = 0;        // SYN_STREAM, 0..7
  uint32_t status = 0;         // RST_STREAM, GOAWAY
  uint32_t ping_id = 0;
  uint32_t delta = 0;          // WINDOW_UPDATE
  std::vector<Setting> settings;
  Headers headers;             // SYN_STREAM, SYN_REPLY, HEADERS
  std::string data;            // DATA
  bool fin() const { return flags & kFlagFin; }
};

std::string frame_type_name(FrameType t);

class FrameReader {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // The next complete frame; nullopt when more input is needed; an Invalid error naming the
  // field for a malformed frame. After an error the reader stays failed (the connection must go).
  Result<std::optional<Frame>> next();

 private:
  Result<Frame> decode_control(uint16_t version, uint16_t type, uint8_t flags, std::string_view body);
  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
  HeaderDecompressor headers_;
};

class FrameWriter {
 public:
  // Frames with a header block go through this writer's compressor: encode them in send order.
  Result<std::string> encode(const Frame& f);
  static std::string data(uint32_t stream_id, std::string_view bytes, uint8_t flags = 0);

 private:
  HeaderCompressor headers_;
};

}  // namespace berth::cri::streaming::spdy
