// Docker's json-file log format: one JSON object per line,
// {"log":"hi\n","stream":"stdout","time":"2026-11-29T22:15:46.123456789Z"}. The shim writes it,
// berthd reads it back for `docker logs` and attach.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::engine {

// RFC 3339 in UTC with nanoseconds, as dockerd writes times.
std::string rfc3339_nano(std::chrono::system_clock::time_point t);
std::string rfc3339_now();

// One log record as a line (ending in '\n').
std::string json_log_line(std::string_view stream, std::string_view data, std::string_view time);

struct LogEntry {
  std::string stream;  // "stdout" / "stderr"
  std::string log;     // the bytes, with their '\n' when the line had one
  std::string time;
};
// nullopt for a line that is not a log record (a torn last line).
std::optional<LogEntry> parse_json_log_line(std::string_view line);

// Splits a stream's output into records at '\n', keeping a partial line until it completes,
// grows past 16 KiB, or flush() is called (at EOF), as dockerd's copier does.
class LineSplitter {
 public:
  // Appends data; calls emit(line) for each completed line (with its '\n') and each 16 KiB
  // piece of a longer one.
  template <class F>
  void feed(std::string_view data, F&& emit) {
    buf_.append(data);
    size_t start = 0;
    while (true) {
      size_t nl = buf_.find('\n', start);
      // A line longer than 16 KiB goes in pieces of 16 KiB, as containerd's CRI logger cuts it
      // (dockerd's copier too): no record is longer.
      for (size_t end = nl == std::string::npos ? buf_.size() : nl; end - start > kMaxLine; start += kMaxLine)
        emit(std::string_view(buf_).substr(start, kMaxLine));
      if (nl == std::string::npos) break;
      emit(std::string_view(buf_).substr(start, nl + 1 - start));
      start = nl + 1;
    }
    buf_.erase(0, start);
  }
  template <class F>
  void flush(F&& emit) {
    if (!buf_.empty()) emit(std::string_view(buf_));
    buf_.clear();
  }

 private:
  static constexpr size_t kMaxLine = 16 * 1024;
  std::string buf_;
};

}  // namespace berth::engine
