// WebSocket framing: the RFC's handshake example, masked client frames, fragments, and hostile
// frames (unmasked, reserved bits, oversized, bad continuation) as errors naming the problem.
#include "cri/streaming/ws_frame.hpp"

#include <gtest/gtest.h>

using namespace berth::cri::streaming;

namespace {

std::string client_frame(uint8_t first, const std::string& payload, bool masked = true) {
  std::string o;
  o.push_back(static_cast<char>(first));
  size_t n = payload.size();
  uint8_t m = masked ? 0x80 : 0;
  if (n < 126) {
    o.push_back(static_cast<char>(m | n));
  } else {
    o.push_back(static_cast<char>(m | 126));
    o.push_back(static_cast<char>(n >> 8));
    o.push_back(static_cast<char>(n));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) o.append(mask, 4);
  for (size_t i = 0; i < n; ++i) o.push_back(static_cast<char>(payload[i] ^ (masked ? mask[i % 4] : 0)));
  return o;
}

std::string ws_error_of(const std::string& bytes) {
  ws::Reader r;
  r.feed(bytes);
  auto m = r.next();
  return m ? "" : m.error().what();
}

}  // namespace

TEST(WsFrame, AcceptKeyIsTheRfcExample) {
  EXPECT_EQ(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsFrame, MaskedFragmentsAndControlFramesBetween) {
  ws::Reader r;
  std::string wire = client_frame(0x02, std::string("\x00he", 3)) + client_frame(0x89, "ping!") +
                     client_frame(0x80, std::string(300, 'l'));
  for (char c : wire) r.feed(std::string_view(&c, 1));  // a byte at a time
  auto ping = r.next();
  ASSERT_TRUE(ping && *ping) << (ping ? "need more" : ping.error().what());
  EXPECT_EQ((*ping)->opcode, ws::Opcode::Ping);
  EXPECT_EQ((*ping)->payload, "ping!");
  auto msg = r.next();
  ASSERT_TRUE(msg && *msg);
  EXPECT_EQ((*msg)->opcode, ws::Opcode::Binary);
  EXPECT_EQ((*msg)->payload, std::string("\x00he", 3) + std::string(300, 'l'));
  auto none = r.next();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST(WsFrame, ServerFramesAreUnmaskedWithTheRightLength) {
  EXPECT_EQ(ws::encode(ws::Opcode::Binary, "ab"), std::string("\x82\x02" "ab", 4));
  auto mid = ws::encode(ws::Opcode::Binary, std::string(300, 'x'));
  EXPECT_EQ(mid.substr(0, 4), std::string("\x82\x7e\x01\x2c", 4));
  auto big = ws::encode(ws::Opcode::Binary, std::string(70000, 'x'));
  EXPECT_EQ(big.substr(0, 10), std::string("\x82\x7f\0\0\0\0\0\x01\x11\x70", 10));
}

TEST(WsFrame, HostileFramesAreErrors) {
  EXPECT_EQ(ws_error_of(client_frame(0x82, "x", false)), "websocket: client frame not masked");
  EXPECT_EQ(ws_error_of(client_frame(0xc2, "x")), "websocket: reserved bits set (no extension was agreed)");
  EXPECT_EQ(ws_error_of(client_frame(0x83, "x")), "websocket: unknown opcode 3");
  EXPECT_EQ(ws_error_of(client_frame(0x80, "x")), "websocket: continuation frame without a message");
  EXPECT_EQ(ws_error_of(client_frame(0x02, "a") + client_frame(0x82, "b")), "websocket: new message inside a fragmented one");
  EXPECT_EQ(ws_error_of(client_frame(0x09, "p")), "websocket: control frame fragmented or longer than 125 bytes");
  // A 64-bit length far past the limit is refused from the header alone.
  std::string huge = std::string("\x82\xff", 2) + std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8);
  EXPECT_EQ(ws_error_of(huge), "websocket: message longer than 1048576 bytes");
  ws::Reader r;
  r.feed(client_frame(0x82, "x", false) + client_frame(0x82, "y"));
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.next());  // stays failed
}
