// Network byte order in strings: the framings of attach streams, `local` log records and SPDY.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth {

// Appends the low `bytes` bytes of v, most significant first.
inline void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_be32(std::string& out, uint32_t v) { put_be(out, v, 4); }

// The `bytes`-byte number at s[at].
inline uint64_t get_be(std::string_view s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}
inline uint32_t get_be32(std::string_view s, size_t at = 0) { return static_cast<uint32_t>(get_be(s, at, 4)); }

}  // namespace berth
