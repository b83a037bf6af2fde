// WebSocket framing (RFC 6455), the server's side: client frames must be masked; fragments are
// reassembled into messages; control frames are short and whole; everything bounded. Also the
// handshake's Sec-WebSocket-Accept.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::cri::streaming::ws {

enum class Opcode : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

inline constexpr size_t kMaxMessage = 1 << 20;

struct Message {
  Opcode opcode;
  std::string payload;
};

class Reader {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // The next whole message (control frames as they come, between fragments too); nullopt when
  // more input is needed; an Invalid error naming what is wrong. After an error it stays failed.
  Result<std::optional<Message>> next();

 private:
  std::string buf_;
  bool failed_ = false;
  std::optional<Opcode> frag_op_;  // the data message being reassembled
  std::string frag_;
};

// One unmasked, unfragmented frame (the server's).
std::string encode(Opcode op, std::string_view payload);
// base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view client_key);

}  // namespace berth::cri::streaming::ws
