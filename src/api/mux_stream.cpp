#include "api/mux_stream.hpp"

#include <algorithm>
#include <limits>

namespace berth::api {

std::string mux_frame(StdStream stream, std::string_view payload) {
  std::string out;
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  do {
    size_t n = std::min(payload.size(), kMax);
    char h[8] = {static_cast<char>(stream), 0, 0, 0, static_cast<char>((n >> 24) & 0xff),
                 static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
    out.append(h, 8);
    out.append(payload.substr(0, n));
    payload.remove_prefix(n);
  } while (!payload.empty());
  return out;
}

Result<std::vector<MuxChunk>> MuxDecoder::feed(std::string_view input) {
  buf_.append(input);
  std::vector<MuxChunk> out;
  size_t off = 0;
  while (buf_.size() - off >= 8) {
    auto b = [&](size_t i) { return static_cast<uint8_t>(buf_[off + i]); };
    if (b(0) > 3 || b(1) || b(2) || b(3))
      return fail(ErrorKind::Invalid, "multiplexed stream: bad frame header (stream byte " + std::to_string(b(0)) + ")");
    size_t n = (size_t{b(4)} << 24) | (size_t{b(5)} << 16) | (size_t{b(6)} << 8) | size_t{b(7)};
    if (buf_.size() - off - 8 < n) break;
    out.push_back({static_cast<StdStream>(b(0)), buf_.substr(off + 8, n)});
    off += 8 + n;
  }
  buf_.erase(0, off);
  return out;
}

}  // namespace berth::api
