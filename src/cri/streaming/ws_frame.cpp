#include "cri/streaming/ws_frame.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace berth::cri::streaming::ws {

namespace {

bool is_control(uint8_t op) { return op >= 8; }
bool known(uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

}  // namespace

Result<std::optional<Message>> Reader::next() {
  if (failed_) return fail(ErrorKind::Invalid, "websocket: the connection already sent a malformed frame");
  failed_ = true;  // until a frame decodes
  while (true) {
    if (buf_.size() < 2) break;
    auto b = [&](size_t i) { return static_cast<uint8_t>(buf_[i]); };
    bool fin = b(0) & 0x80;
    uint8_t op = b(0) & 0x0f;
    if (b(0) & 0x70) return fail(ErrorKind::Invalid, "websocket: reserved bits set (no extension was agreed)");
    if (!known(op)) return fail(ErrorKind::Invalid, "websocket: unknown opcode " + std::to_string(op));
    if (!(b(1) & 0x80)) return fail(ErrorKind::Invalid, "websocket: client frame not masked");
    uint64_t len = b(1) & 0x7f;
    size_t at = 2;
    if (len == 126) {
      if (buf_.size() < 4) break;
      len = uint64_t(b(2)) << 8 | b(3);
      at = 4;
    } else if (len == 127) {
      if (buf_.size() < 10) break;
      len = 0;
      for (size_t i = 2; i < 10; ++i) len = len << 8 | b(i);
      at = 10;
    }
    if (is_control(op) && (len > 125 || !fin))
      return fail(ErrorKind::Invalid, "websocket: control frame fragmented or longer than 125 bytes");
    if (len > kMaxMessage || frag_.size() + len > kMaxMessage)
      return fail(ErrorKind::Invalid, "websocket: message longer than " + std::to_string(kMaxMessage) + " bytes");
    if (buf_.size() < at + 4 + len) break;
    const char* mask = buf_.data() + at;
    std::string payload = buf_.substr(at + 4, len);
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    buf_.erase(0, at + 4 + len);
    if (is_control(op)) {
      failed_ = false;
      return std::optional<Message>{Message{static_cast<Opcode>(op), std::move(payload)}};
    }
    if (op == 0 && !frag_op_) return fail(ErrorKind::Invalid, "websocket: continuation frame without a message");
    if (op != 0 && frag_op_) return fail(ErrorKind::Invalid, "websocket: new message inside a fragmented one");
    if (op != 0) frag_op_ = static_cast<Opcode>(op);
    frag_ += payload;
    if (fin) {
      Message m{*frag_op_, std::move(frag_)};
      frag_.clear();
      frag_op_.reset();
      failed_ = false;
      return std::optional<Message>{std::move(m)};
    }
  }
  failed_ = false;
  return std::optional<Message>{};
}

std::string encode(Opcode op, std::string_view payload) {
  std::string o;
  o.push_back(static_cast<char>(0x80 | static_cast<uint8_t>(op)));
  size_t n = payload.size();
  if (n < 126) {
    o.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    o.push_back(126);
    o.push_back(static_cast<char>(n >> 8));
    o.push_back(static_cast<char>(n));
  } else {
    o.push_back(127);
    for (int i = 7; i >= 0; --i) o.push_back(static_cast<char>(uint64_t(n) >> (8 * i)));
  }
  return o + std::string(payload);
}

std::string accept_key(std::string_view client_key) {
  std::string in = std::string(client_key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

}  // namespace berth::cri::streaming::ws
