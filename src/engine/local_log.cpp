#include "engine/local_log.hpp"

#include <chrono>

#include "common/big_endian.hpp"

namespace berth::engine {

std::string local_log_record(std::string_view stream, std::string_view data, int64_t time_ns) {
  std::string r;
  auto len = static_cast<uint32_t>(9 + data.size());
  r.reserve(len + 8);
  put_be32(r, len);
  r.push_back(stream == "stderr" ? 2 : 1);
  put_be(r, static_cast<uint64_t>(time_ns), 8);
  r.append(data);
  put_be32(r, len);
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
