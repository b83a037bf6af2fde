// The kubelet's CRI log format, which the shim writes at the path the kubelet gives a CRI
// container: one record per line, `<RFC3339Nano time> <stdout|stderr> <F|P> <content>\n`.
// F ends a line (its newline is not part of the content); P is a piece of a line that no newline
// has ended yet (a line longer than the shim's line buffer, a TTY's output read before its
// newline, the bytes before EOF). Read back for `docker logs`: a P record's bytes as they are, an F record's with '\n'.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "engine/json_log.hpp"

namespace berth::engine {

enum class CriTag { Full, Partial };

// Go's time.RFC3339Nano in UTC, as containerd stamps CRI records: trailing zeros of the
// fraction dropped ("...:46.1234Z", "...:46Z").
std::string rfc3339_nano_trimmed(std::chrono::system_clock::time_point t);

// One record; piece must not contain '\n'.
std::string cri_log_record(std::string_view time, std::string_view stream, CriTag tag, std::string_view piece);

// A line the shim's splitter emits as one record: F when it ends in '\n' (taken off, with a '\r'
// before it, as containerd does), else P (the bytes before EOF too, as containerd writes them).
std::string cri_log_record_of(std::string_view time, std::string_view stream, std::string_view line);

// A record without its '\n' as an entry; nullopt for a line that is not one (torn, foreign).
std::optional<LogEntry> parse_cri_log_line(std::string_view line);

}  // namespace berth::engine
