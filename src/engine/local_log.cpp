#include "engine/local_log.hpp"

#include <chrono>

namespace berth::engine {

namespace {

void put_u32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_be(std::string_view s, size_t off, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(s[off + static_cast<size_t>(i)]);
  return v;
}

}  // namespace

std::string local_log_record(std::string_view stream, std::string_view data, int64_t time_ns) {
  std::string r;
  auto len = static_cast<uint32_t>(9 + data.size());
  r.reserve(len + 8);
  put_u32(r, len);
  r.push_back(stream == "stderr" ? 2 : 1);
  put_u64(r, static_cast<uint64_t>(time_ns));
  r.append(data);
  put_u32(r, len);
  return r;
}

size_t decode_local_records(std::string_view buf, std::vector<LogEntry>& out) {
  size_t off = 0;
  while (buf.size() - off >= 4) {
    auto len = static_cast<size_t>(get_be(buf, off, 4));
    if (len < 9) break;
    if (buf.size() - off < len + 8) break;
    if (get_be(buf, off + 4 + len, 4) != len) break;
    LogEntry e;
    e.stream = buf[off + 4] == 2 ? "stderr" : "stdout";
    auto ns = static_cast<int64_t>(get_be(buf, off + 5, 8));
    e.time = rfc3339_nano(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns))));
    e.log = std::string(buf.substr(off + 13, len - 9));
    out.push_back(std::move(e));
    off += len + 8;
  }
  return off;
}

}  // namespace berth::engine
