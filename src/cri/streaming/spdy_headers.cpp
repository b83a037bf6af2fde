#include "cri/streaming/spdy_headers.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "common/big_endian.hpp"
#include "common/text.hpp"

namespace berth::cri::streaming::spdy {

namespace {

// SPDY/3's dictionary is the length-prefixed (32-bit big-endian) list of these words, then a run
// of raw text; built once from the two, which reads better than 1423 hex bytes.
constexpr const char* kDictWords[] = {
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location",
    "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
    "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
    "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
    "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
    "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
    "public", "set-cookie", "keep-alive", "origin"};
constexpr const char* kDictTail =
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

Result<std::string> take_string(std::string_view block, size_t& pos, const char* what) {
  if (block.size() - pos < 4) return fail(ErrorKind::Invalid, std::string("header block: truncated ") + what + " length");
  uint32_t n = get_be32(block, pos);
  pos += 4;
  if (n > block.size() - pos)
    return fail(ErrorKind::Invalid, std::string("header block: ") + what + " length " + std::to_string(n) +
                                        " exceeds the block (" + std::to_string(block.size() - pos) + " bytes left)");
  std::string s(block.substr(pos, n));
  pos += n;
  return s;
}

}  // namespace

std::string header_value(const Headers& h, std::string_view name) {
  std::string want = ascii_lower(name);
  for (auto& [k, v] : h)
    if (k == want) return v;
  return "";
}

std::string_view header_dictionary() {
  static const std::string dict = [] {
    std::string d;
    for (const char* w : kDictWords) {
      put_be32(d, static_cast<uint32_t>(std::strlen(w)));
      d += w;
    }
    return d + kDictTail;
  }();
  return dict;
}

std::string serialize_headers(const Headers& h) {
  std::string out;
  put_be32(out, static_cast<uint32_t>(h.size()));
  for (auto& [k, v] : h) {
    std::string name = ascii_lower(k);
    put_be32(out, static_cast<uint32_t>(name.size()));
    out += name;
    put_be32(out, static_cast<uint32_t>(v.size()));
    out += v;
  }
  return out;
}

Result<Headers> parse_headers(std::string_view block) {
  if (block.size() < 4) return fail(ErrorKind::Invalid, "header block: truncated pair count");
  uint32_t count = get_be32(block, 0);
  if (count > kMaxHeaderPairs)
    return fail(ErrorKind::Invalid, "header block: pair count " + std::to_string(count) + " exceeds " +
                                        std::to_string(kMaxHeaderPairs));
  size_t pos = 4;
  Headers h;
  for (uint32_t i = 0; i < count; ++i) {
    auto name = BERTH_TRY(take_string(block, pos, "name"), "");
    auto value = BERTH_TRY(take_string(block, pos, "value"), "");
    if (name.empty()) return fail(ErrorKind::Invalid, "header block: empty header name");
    h.emplace_back(ascii_lower(name), std::move(value));
  }
  if (pos != block.size())
    return fail(ErrorKind::Invalid, "header block: " + std::to_string(block.size() - pos) + " bytes after the last pair");
  return h;
}

struct HeaderCompressor::State {
  z_stream z{};
  bool ok = false;
};

HeaderCompressor::HeaderCompressor() : s_(std::make_unique<State>()) {
  auto d = header_dictionary();
  s_->ok = deflateInit(&s_->z, Z_DEFAULT_COMPRESSION) == Z_OK &&
           deflateSetDictionary(&s_->z, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())) == Z_OK;
}

HeaderCompressor::~HeaderCompressor() { deflateEnd(&s_->z); }

Result<std::string> HeaderCompressor::compress(const Headers& h) {
  if (!s_->ok) return fail(ErrorKind::Internal, "header compressor: zlib setup failed");
  std::string in = serialize_headers(h), out;
  s_->z.next_in = reinterpret_cast<Bytef*>(in.data());
  s_->z.avail_in = static_cast<uInt>(in.size());
  char buf[4096];
  do {
    s_->z.next_out = reinterpret_cast<Bytef*>(buf);
    s_->z.avail_out = sizeof buf;
    int rc = deflate(&s_->z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) return fail(ErrorKind::Internal, "header compressor: deflate failed");
    out.append(buf, sizeof buf - s_->z.avail_out);
  } while (s_->z.avail_out == 0);
  return out;
}

struct HeaderDecompressor::State {
  z_stream z{};
  bool ok = false;
  bool failed = false;
};

HeaderDecompressor::HeaderDecompressor() : s_(std::make_unique<State>()) { s_->ok = inflateInit(&s_->z) == Z_OK; }

HeaderDecompressor::~HeaderDecompressor() { inflateEnd(&s_->z); }

Result<Headers> HeaderDecompressor::decompress(std::string_view block) {
  if (!s_->ok || s_->failed) return fail(ErrorKind::Invalid, "header block: the compression stream is unusable");
  s_->failed = true;  // until this block inflated whole
  auto& z = s_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  z.avail_in = static_cast<uInt>(block.size());
  std::string out;
  char buf[4096];
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      auto d = header_dictionary();
      if (inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())) != Z_OK)
        return fail(ErrorKind::Invalid, "header block: compressed with another dictionary than SPDY/3's");
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return fail(ErrorKind::Invalid, std::string("header block: bad compressed data (") + (z.msg ? z.msg : "zlib error") + ")");
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > kMaxHeaderBlock)
      return fail(ErrorKind::Invalid, "header block: inflates past " + std::to_string(kMaxHeaderBlock) + " bytes");
    if (z.avail_out != 0) break;  // all input consumed and all output flushed, or no progress possible
  }
  if (z.avail_in != 0) return fail(ErrorKind::Invalid, "header block: trailing compressed bytes");
  auto h = BERTH_TRY(parse_headers(out), "");
  s_->failed = false;
  return h;
}

}  // namespace berth::cri::streaming::spdy
