// Docker's multiplexed stdio stream (attach/exec/logs without a TTY): each frame is an 8-byte
// header {stream, 0, 0, 0, size as big-endian uint32} followed by size bytes of payload.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::api {

enum class StdStream : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, System = 3 };

// One or more frames carrying payload (split when it exceeds the 32-bit size field).
std::string mux_frame(StdStream stream, std::string_view payload);

struct MuxChunk {
  StdStream stream;
  std::string data;
};

// Reassembles frames from arbitrarily split input (the client side, and tests).
class MuxDecoder {
 public:
  // Appends input; returns the frames completed by it. A header with an unknown stream id is
  // an error (the peer is not speaking the multiplexed protocol).
  Result<std::vector<MuxChunk>> feed(std::string_view input);
  bool idle() const { return buf_.empty(); }  // no partial frame pending

 private:
  std::string buf_;
};

}  // namespace berth::api
