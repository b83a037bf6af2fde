// The `local` log driver's compact format, read only by berth: one binary record per line of
// output, [u32 len][u8 stream][i64 time ns][bytes][u32 len], big-endian, len = 9 + bytes. The
// trailing length lets a reader walk the file backwards.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json_log.hpp"

namespace berth::engine {

std::string local_log_record(std::string_view stream, std::string_view data, int64_t time_ns);

// Decodes the whole records at the front of buf into out; returns the bytes they took. A
// record whose lengths disagree ends the decode (a torn or foreign file).
size_t decode_local_records(std::string_view buf, std::vector<LogEntry>& out);

}  // namespace berth::engine
