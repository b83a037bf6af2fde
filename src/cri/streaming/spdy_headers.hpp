// SPDY/3 name/value header blocks: a 32-bit pair count, then 32-bit length-prefixed names and
// values (several values of one name joined by NUL), all compressed with zlib in one stream per
// direction of a connection, primed with SPDY/3's dictionary and sync-flushed after each block.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::cri::streaming::spdy {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names in lower case

// The value of name (case-insensitive), or "" when absent.
std::string header_value(const Headers& h, std::string_view name);

// Bounds on what a peer may make us hold: a block that inflates past kMaxHeaderBlock (a zlib
// bomb), or claims more pairs than kMaxHeaderPairs, is refused.
inline constexpr size_t kMaxHeaderBlock = 64 * 1024;
inline constexpr uint32_t kMaxHeaderPairs = 256;

// The dictionary of the SPDY/3 draft, section 2.6.10.1 (1423 bytes).
std::string_view header_dictionary();

// The uncompressed form, for the compressor and for tests.
std::string serialize_headers(const Headers& h);
// Strict: every length within the block, names non-empty, no trailing bytes.
Result<Headers> parse_headers(std::string_view block);

class HeaderCompressor {
 public:
  HeaderCompressor();
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;
  Result<std::string> compress(const Headers& h);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;
  // One block as it came in a frame; after an error the stream is unusable (the connection must go).
  Result<Headers> decompress(std::string_view block);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace berth::cri::streaming::spdy
